/*
 * tests/unit/test_msg.c: the message codec (common/msg.h) by hand-written
 * cases: one valid message per type (decode, encode, decode again, equal),
 * every error kind with the field and reason it names, boundary values,
 * byte-level attacks (size, NUL, UTF-8, nesting, duplicate and
 * case-different keys), encoder validation, defaults, heap results,
 * validators. Samples are written with ' for " (see q()).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/msg.h"
#include "common/msg_codec.h" /* table self-check only */
#include "tests/support/check.h"

#define TS   "'ts':1700000000000"
#define SITE "{'lat':30.1,'lon':-97.1}"
#define SPEC "'title':'Fix router','skills':['router-repair','wifi']"
#define JOB_A                                                                                      \
    "{" SPEC ",'job_id':'j1','state':'offered','site':" SITE                                       \
    ",'region':{'country':'US','state':'TX','state_fips':'48','county_fips':'48453',"              \
    "'county':'Travis'},'created':1700000000000,'updated':1700000001000,"                          \
    "'offer':{'offer_id':'o1','agent_id':'tech-1','deadline':1700000060000},"                      \
    "'attempts':1}"
#define JOB_B                                                                                      \
    "{'title':'Install HDD','description':'two drives','skills':['hdd-install'],"                  \
    "'language':'en','priority':'urgent','tier':4,'window':{'start':1700000000000,"                \
    "'end':1700003600000},'pay':{'currency':'EUR','per_hour_cents':0},"                            \
    "'job_id':'j2','state':'completed','site':{'lat':-90,'lon':180,'address':'','radius_m':10},"   \
    "'created':1700000000000,'updated':1700000001000,'assignee':'tech-2',"                         \
    "'attempts':10000,'reason':'done'}"
#define CONTRACTOR                                                                                 \
    "'contractor_id':'tech-1','name':'Ana Garc\xc3\xa1"                                            \
    "a','skills':['router-repair'],"                                                               \
    "'languages':['es','en-US'],'tier':3,'travel_mode':'motorcycle','radius_km':75.5,"             \
    "'job_limit':2,'timezone':'America/Chicago','hours':[{'day':1,'start':'08:00','end':'17:00'}," \
    "{'day':5,'start':'22:00','end':'00:00'}],'pay':{'currency':'USD','per_incident_cents':9000}," \
    "'home':{'lat':30.2,'lon':-97.7},'active':true"
#define REQ(type, args) "{'type':'" type "','id':'r-" type "'," TS ",'args':" args "}"

static const char *const valid_samples[] = {
    "{'type':'presence','id':'m1'," TS ",'agent_id':'tech-1','boot_id':'b1','online':true,"
    "'available':true,'on_shift':false,'mode':'idle','active_jobs':0,'version':'0.1.0'}",
    "{'type':'presence','id':'m1b'," TS ",'agent_id':'tech-1','boot_id':'b1','online':false,"
    "'reason':'will'}",
    "{'type':'loc','id':'m2'," TS ",'agent_id':'tech-1','boot_id':'b1','fixes':[{'seq':0,"
    "'t':1700000000000,'lat':30.2672,'lon':-97.7431,'mode':3,'acc':4.5,'speed':12.5,"
    "'heading':359.9},{'seq':9007199254740991,'t':1700000001000,'lat':90,'lon':-180,'mode':2}]}",
    "{'type':'offer','id':'m3'," TS ",'agent_id':'tech-1','offer_id':'o1','job_id':'j1',"
    "'job':{'title':'Fix router','skills':['router-repair'],'language':'es-MX',"
    "'priority':'high','tier':2,'window':{'start':1700000000000,'end':1700003600000},"
    "'pay':{'currency':'USD','per_hour_cents':4500}},'site':{'lat':30.1,'lon':-97.1,"
    "'address':'1 Main St','radius_m':150},'distance_m':1234.5,'eta_s':600,"
    "'deadline':1700000060000}",
    "{'type':'offer_answer','id':'m4'," TS ",'agent_id':'tech-1','offer_id':'o1','job_id':'j1',"
    "'answer':'decline','reason':'too_far','note':'sorry'}",
    "{'type':'job_event','id':'m5'," TS ",'agent_id':'tech-1','job_id':'j1','event':'failed',"
    "'note':'no parts','lat':30.1,'lon':-97.1}",
    "{'type':'assignment','id':'m6'," TS ",'agent_id':'tech-1','offer_id':'o1','job_id':'j1',"
    "'job':{" SPEC "},'site':" SITE "}",
    "{'type':'cancellation','id':'m7'," TS ",'agent_id':'tech-1','job_id':'j1','offer_id':'o1',"
    "'reason':'offer_expired','note':''}",
    "{'type':'agent_config','id':'m8'," TS ",'agent_id':'tech-1','threshold_m':50,"
    "'max_interval_s':60,'heartbeat_s':300}",
    "{'type':'job_status','id':'m9'," TS ",'job':" JOB_A "}",
    "{'type':'error','id':'m10'," TS ",'corr':'m2','code':'bad_field','field':'fixes[3].lat',"
    "'message':'must be between -90 and 90'}",
    "{'type':'job.create','id':'r1'," TS ",'args':{'title':'Install HDD','skills':['hdd-install'],"
    "'region':{'country':'US','state_fips':'48','county_fips':'48453'},'max_radius_km':80},"
    "'reply_to':'truckroll/v1/console/alice/resp'}",
    REQ("job.create", "{" SPEC ",'site':" SITE "}"),
    REQ("job.list", "{'state':'unassigned','limit':10,'offset':20}"),
    REQ("job.list", "{}"),
    REQ("job.show", "{'job_id':'j1'}"),
    REQ("job.cancel", "{'job_id':'j1','note':'customer called'}"),
    REQ("job.reassign",
        "{'job_id':'j1','agent_id':'tech-2','radius_km':100,'relax_language':true}"),
    REQ("contractor.add", "{" CONTRACTOR "}"),
    REQ("contractor.update", "{'contractor_id':'tech-1','name':'Ana','active':false,'hours':[]}"),
    REQ("contractor.list", "{'skill':'wifi','available':true,'limit':5}"),
    REQ("directory.query", "{'country':'US','state':'48','county':'Travis','skill':'wifi',"
                           "'language':'es','available':true,'near':{'lat':30.2,'lon':-97.7},"
                           "'limit':20}"),
    REQ("coverage.query", "{'country':'US','state':'TX','skill':'wifi','language':'es'}"),
    "{'type':'response','id':'s1'," TS ",'corr':'r2','re':'job.list','result':{'jobs':[" JOB_A
    "," JOB_B "],'total':2}}",
    "{'type':'response','id':'s2'," TS ",'corr':'r3','re':'job.show','result':{'job':" JOB_A
    ",'events':[{'ts':1700000000000,'state':'new','actor':'dispatcher'},{'ts':1700000001000,"
    "'state':'offered','actor':'dispatcher','note':'to tech-1'}]}}",
    "{'type':'response','id':'s3'," TS ",'corr':'r4','re':'job.cancel','result':{'job':" JOB_B "}}",
    "{'type':'response','id':'s4'," TS ",'corr':'r5','re':'contractor.add','result':{"
    "'contractor':{" CONTRACTOR ",'online':true,'available':false,'lat':30.3,'lon':-97.8,"
    "'last_seen':1700000000000,'active_jobs':1,'region':{'country':'US'},'distance_m':0}}}",
    "{'type':'response','id':'s5'," TS ",'corr':'r6','re':'directory.query','result':{"
    "'contractors':[{" CONTRACTOR "},{" CONTRACTOR ",'distance_m':20040000}],'total':77}}",
    "{'type':'response','id':'s6'," TS ",'corr':'r7','re':'coverage.query','result':{"
    "'regions':[{'region':{'country':'US','state':'TX'},'qualified':3,'on_shift':1}],"
    "'gaps':[{'country':'US','state':'WY'}],'uncovered_hours_utc':[0,1,23]}}",
    "{'type':'response','id':'s7'," TS ",'corr':'r8','re':'contractor.list','result':{"
    "'contractors':[],'total':0}}",
};
#define N_VALID (sizeof valid_samples / sizeof valid_samples[0])

/* ' -> " (the samples never need a literal ') */
static char *q(const char *s)
{
    size_t n = strlen(s);
    char *o = malloc(n + 1);
    for (size_t i = 0; i <= n; i++)
        o[i] = s[i] == '\'' ? '"' : s[i];
    return o;
}

/* Decode a NUL-free copy of exactly len bytes (no terminator: ASan sees overreads). */
static int dec(const char *json, size_t len, enum tr_msg_type as, struct tr_msg *m,
               struct tr_msg_error *e)
{
    char *b = malloc(len ? len : 1);
    memcpy(b, json, len);
    int rc = tr_msg_decode_as(b, len, as, m, e);
    free(b);
    return rc;
}

static void round_trip(const char *sample)
{
    char *json = q(sample);
    struct tr_msg a, b;
    struct tr_msg_error e;
    int rc = dec(json, strlen(json), TR_MSG_NONE, &a, &e);
    CHECK_MSG(rc == TR_MSG_OK, "%s: %s at '%s': %s", json, tr_msg_strerror(rc), e.field, e.reason);
    if (rc == TR_MSG_OK) {
        /* per-type decoding accepts it too */
        struct tr_msg c;
        CHECK(dec(json, strlen(json), a.type, &c, NULL) == TR_MSG_OK);
        tr_msg_free(&c);
        char *out = NULL;
        size_t n = 0;
        rc = tr_msg_encode(&a, &out, &n, &e);
        CHECK_MSG(rc == TR_MSG_OK, "encode %s: %s at '%s': %s", json, tr_msg_strerror(rc), e.field,
                  e.reason);
        if (rc == TR_MSG_OK) {
            CHECK(n == strlen(out));
            rc = dec(out, n, TR_MSG_NONE, &b, &e);
            CHECK_MSG(rc == TR_MSG_OK, "re-decode %s: %s", out, e.reason);
            CHECK_MSG(tr_msg_equal(&a, &b), "not equal after round trip: %s -> %s", json, out);
            /* encoding is deterministic */
            char *out2 = NULL;
            size_t n2 = 0;
            CHECK(tr_msg_encode(&b, &out2, &n2, NULL) == TR_MSG_OK && n2 == n &&
                  strcmp(out, out2) == 0);
            free(out2);
            tr_msg_free(&b);
        }
        free(out);
    }
    tr_msg_free(&a);
    free(json);
}

struct bad {
    const char *json;
    int code;
    const char *field;
    const char *reason; /* substring */
};

#define LOC_PRE "{'type':'loc','id':'m2'," TS ",'agent_id':'tech-1','boot_id':'b1','fixes':["
#define FIX0    "{'seq':1,'t':1700000000000,'lat':30,'lon':-97,'mode':3}"
#define LOC(f)  LOC_PRE f "]}"
#define FIXW(k) LOC(FIX0 ",{'seq':2,'t':1700000000000,'lat':30,'lon':-97,'mode':3," k "}")
#define PRES(k) "{'type':'presence','id':'m1'," TS ",'agent_id':'tech-1','boot_id':'b1'," k "}"

static const struct bad bad_samples[] = {
    /* envelope and type */
    { "{'id':'x'," TS "}", TR_MSG_ERR_BAD_TYPE, "type", "missing" },
    { "{'type':7,'id':'x'," TS "}", TR_MSG_ERR_BAD_TYPE, "type", "must be a string" },
    { "{'type':'lOc','id':'x'," TS "}", TR_MSG_ERR_BAD_TYPE, "type", "unknown message type" },
    { "{'Type':'loc','id':'x'," TS "}", TR_MSG_ERR_BAD_TYPE, "type", "missing" },
    { "{'type':'job.show','Type':'loc','id':'x'," TS ",'args':{'job_id':'j'}}",
      TR_MSG_ERR_UNKNOWN_FIELD, "Type", "unknown key" },
    { "{'type':'job.show','id':'x','ts':1700000000000,'TS':1,'args':{'job_id':'j'}}",
      TR_MSG_ERR_UNKNOWN_FIELD, "TS", "unknown key" },
    { "{'type':'job.show','id':'x','args':{'job_id':'j'}}", TR_MSG_ERR_MISSING, "ts", "missing" },
    { "{'type':'job.show','id':'a/b'," TS ",'args':{'job_id':'j'}}", TR_MSG_ERR_BAD_FIELD, "id",
      "must be an id" },
    { "{'type':'job.show','id':'a#'," TS ",'args':{'job_id':'j'}}", TR_MSG_ERR_BAD_FIELD, "id",
      "must be an id" },
    { "{'type':'job.show','id':''," TS ",'args':{'job_id':'j'}}", TR_MSG_ERR_BAD_FIELD, "id",
      "must not be empty" },
    { "{'type':'job.show','id':'x','ts':946684799999,'args':{'job_id':'j'}}", TR_MSG_ERR_BAD_FIELD,
      "ts", "between 946684800000 and 4102444800000" },
    { "{'type':'job.show','id':'x','ts':1700000000000.5,'args':{'job_id':'j'}}",
      TR_MSG_ERR_BAD_FIELD, "ts", "must be an integer" },
    { "{'type':'job.show','id':'x','ts':'1700000000000','args':{'job_id':'j'}}",
      TR_MSG_ERR_BAD_FIELD, "ts", "must be an integer" },
    { "{'type':'job.show','id':'x'," TS ",'args':{'job_id':'j'},'args':{'job_id':'k'}}",
      TR_MSG_ERR_DUPLICATE, "args", "duplicate key" },
    { "{'type':'job.show','id':'x'," TS ",'args':{'job_id':'j','job_id':'j'}}",
      TR_MSG_ERR_DUPLICATE, "args.job_id", "duplicate key" },
    { "{'type':'job.show','id':'x'," TS ",'args':{'job_id':null}}", TR_MSG_ERR_BAD_FIELD,
      "args.job_id", "must be a string" },
    { "{'type':'job.show','id':'x'," TS ",'args':[]}", TR_MSG_ERR_BAD_FIELD, "args",
      "must be an object" },
    { "{'type':'job.show','id':'x'," TS ",'args':{'job_id':'j'},'reply_to':'truckroll/v1/x'}",
      TR_MSG_ERR_BAD_FIELD, "reply_to", "too short" },
    { "{'type':'job.show','id':'x'," TS
      ",'args':{'job_id':'j'},'reply_to':'truckroll/v1/console/a+b/resp'}",
      TR_MSG_ERR_BAD_FIELD, "reply_to", "must be truckroll/v1/console/" },
    /* loc and fix */
    { LOC(""), TR_MSG_ERR_BAD_FIELD, "fixes", "must not be empty" },
    { LOC(FIX0 ",{'seq':2,'t':1700000000000,'lat':90.0000001,'lon':-97,'mode':3}"),
      TR_MSG_ERR_BAD_FIELD, "fixes[1].lat", "between -90 and 90" },
    { LOC(FIX0 ",{'seq':2,'t':1700000000000,'lat':1e999,'lon':-97,'mode':3}"), TR_MSG_ERR_BAD_FIELD,
      "fixes[1].lat", "between -90 and 90" },
    { LOC(FIX0 ",{'seq':2,'t':1700000000000,'lat':1,'lon':-1e999,'mode':3}"), TR_MSG_ERR_BAD_FIELD,
      "fixes[1].lon", "between -180 and 180" },
    { FIXW("'heading':360"), TR_MSG_ERR_BAD_FIELD, "fixes[1].heading", "< 360" },
    { FIXW("'speed':-0.001"), TR_MSG_ERR_BAD_FIELD, "fixes[1].speed", "between 0 and 150" },
    { FIXW("'acc':true"), TR_MSG_ERR_BAD_FIELD, "fixes[1].acc", "must be a number" },
    { FIXW("'alt':5"), TR_MSG_ERR_UNKNOWN_FIELD, "fixes[1].alt", "unknown key" },
    { LOC(FIX0 ",{'seq':2,'t':1700000000000,'lat':30,'lon':-97,'mode':1}"), TR_MSG_ERR_BAD_FIELD,
      "fixes[1].mode", "between 2 and 3" },
    { LOC(FIX0 ",{'seq':2.5,'t':1700000000000,'lat':30,'lon':-97,'mode':3}"), TR_MSG_ERR_BAD_FIELD,
      "fixes[1].seq", "must be an integer" },
    { LOC(FIX0 ",{'seq':9007199254740993,'t':1700000000000,'lat':30,'lon':-97,'mode':3}"),
      TR_MSG_ERR_BAD_FIELD, "fixes[1].seq", "between 0 and 9007199254740991" },
    { LOC(FIX0 ",{'seq':-1,'t':1700000000000,'lat':30,'lon':-97,'mode':3}"), TR_MSG_ERR_BAD_FIELD,
      "fixes[1].seq", "between 0" },
    { LOC(FIX0 ",{'seq':1,'t':1700000000000,'lat':30,'lon':-97,'mode':3}"), TR_MSG_ERR_BAD_FIELD,
      "fixes[1].seq", "greater than the previous" },
    { LOC(FIX0 ",{'t':1700000000000,'lat':30,'lon':-97,'mode':3}"), TR_MSG_ERR_MISSING,
      "fixes[1].seq", "missing" },
    { LOC(FIX0 ",7"), TR_MSG_ERR_BAD_FIELD, "fixes[1]", "must be an object" },
    /* presence rules */
    { PRES("'online':true,'available':true,'on_shift':true,'mode':'idle'"), TR_MSG_ERR_MISSING,
      "active_jobs", "required when online" },
    { PRES("'online':true,'available':true,'on_shift':true,'mode':'idle','active_jobs':0,"
           "'reason':'will'"),
      TR_MSG_ERR_BAD_FIELD, "reason", "only when offline" },
    { PRES("'online':false,'mode':'sleeping'"), TR_MSG_ERR_BAD_FIELD, "mode",
      "must be one of: idle offered en_route on_site off_shift" },
    { PRES("'online':false,'version':'" /* 33 bytes */ "123456789012345678901234567890123'"),
      TR_MSG_ERR_BAD_FIELD, "version", "too long (max 32 bytes)" },
    { PRES("'online':0"), TR_MSG_ERR_BAD_FIELD, "online", "must be true or false" },
    /* offer_answer, job_event, agent_config */
    { "{'type':'offer_answer','id':'m4'," TS ",'agent_id':'tech-1','offer_id':'o1','job_id':'j1',"
      "'answer':'decline'}",
      TR_MSG_ERR_MISSING, "reason", "required when declining" },
    { "{'type':'job_event','id':'m5'," TS ",'agent_id':'tech-1','job_id':'j1','event':'escalate'}",
      TR_MSG_ERR_MISSING, "note", "required for failed and escalate" },
    { "{'type':'job_event','id':'m5'," TS ",'agent_id':'tech-1','job_id':'j1','event':'on_site',"
      "'lat':30}",
      TR_MSG_ERR_MISSING, "lon", "go together" },
    { "{'type':'job_event','id':'m5'," TS ",'agent_id':'te:ch','job_id':'j1','event':'on_site'}",
      TR_MSG_ERR_BAD_FIELD, "agent_id", "must be an agent id" },
    { "{'type':'agent_config','id':'m8'," TS ",'agent_id':'tech-1'}", TR_MSG_ERR_MISSING,
      "threshold_m", "at least one of" },
    { "{'type':'agent_config','id':'m8'," TS ",'agent_id':'tech-1','heartbeat_s':29}",
      TR_MSG_ERR_BAD_FIELD, "heartbeat_s", "between 30 and 3600" },
    /* job_spec and friends, nested paths */
    { "{'type':'assignment','id':'m6'," TS ",'agent_id':'t','offer_id':'o','job_id':'j',"
      "'job':{'title':'x','skills':['a','b','a']},'site':" SITE "}",
      TR_MSG_ERR_BAD_FIELD, "job.skills[2]", "duplicate item" },
    { "{'type':'assignment','id':'m6'," TS ",'agent_id':'t','offer_id':'o','job_id':'j',"
      "'job':{'title':'x','skills':['Wifi']},'site':" SITE "}",
      TR_MSG_ERR_BAD_FIELD, "job.skills[0]", "must be a skill" },
    { "{'type':'assignment','id':'m6'," TS ",'agent_id':'t','offer_id':'o','job_id':'j',"
      "'job':{'title':'','skills':['a']},'site':" SITE "}",
      TR_MSG_ERR_BAD_FIELD, "job.title", "must not be empty" },
    { "{'type':'assignment','id':'m6'," TS ",'agent_id':'t','offer_id':'o','job_id':'j',"
      "'job':{'title':'x','skills':[]},'site':" SITE "}",
      TR_MSG_ERR_BAD_FIELD, "job.skills", "must not be empty" },
    { "{'type':'assignment','id':'m6'," TS ",'agent_id':'t','offer_id':'o','job_id':'j',"
      "'job':{'title':'x','skills':['a','b','c','d','e','f','g','h','i','j','k','l','m','n','o',"
      "'p','q']},'site':" SITE "}",
      TR_MSG_ERR_BAD_FIELD, "job.skills", "too many items (max 16)" },
    { "{'type':'assignment','id':'m6'," TS ",'agent_id':'t','offer_id':'o','job_id':'j',"
      "'job':{'title':'x','skills':['a'],'window':{'start':1700000000000,'end':1700000000000}},"
      "'site':" SITE "}",
      TR_MSG_ERR_BAD_FIELD, "job.window.end", "must be after start" },
    { "{'type':'assignment','id':'m6'," TS ",'agent_id':'t','offer_id':'o','job_id':'j',"
      "'job':{'title':'x','skills':['a'],'pay':{'currency':'usd'}},'site':" SITE "}",
      TR_MSG_ERR_BAD_FIELD, "job.pay.currency", "3 upper-case letters" },
    { "{'type':'assignment','id':'m6'," TS ",'agent_id':'t','offer_id':'o','job_id':'j',"
      "'job':{'title':'x','skills':['a'],'language':'english'},'site':" SITE "}",
      TR_MSG_ERR_BAD_FIELD, "job.language", "BCP-47" },
    { "{'type':'assignment','id':'m6'," TS ",'agent_id':'t','offer_id':'o','job_id':'j',"
      "'job':{'title':'x','skills':['a']},'site':{'lat':30,'lon':-97,'radius_m':9}}",
      TR_MSG_ERR_BAD_FIELD, "site.radius_m", "between 10 and 5000" },
    /* job.create rules */
    { REQ("job.create", "{" SPEC "}"), TR_MSG_ERR_MISSING, "args.site",
      "exactly one of site or region" },
    { REQ("job.create", "{" SPEC ",'site':" SITE ",'region':{'country':'US'}}"),
      TR_MSG_ERR_BAD_FIELD, "args.site", "exactly one of site or region" },
    { REQ("job.create", "{" SPEC ",'region':{'state':'TX','county':'Travis'}}"), TR_MSG_ERR_MISSING,
      "args.region.country", "missing" },
    { REQ("job.create", "{" SPEC ",'region':{'country':'US','state_fips':'48'}}"),
      TR_MSG_ERR_MISSING, "args.region.county_fips", "go together" },
    { REQ("job.create", "{" SPEC ",'region':{'country':'US','county':'Travis'}}"),
      TR_MSG_ERR_MISSING, "args.region.state", "go together" },
    /* contractors */
    { REQ("contractor.add", "{" CONTRACTOR ",'hours':[{'day':8,'start':'08:00','end':'09:00'}]}"),
      TR_MSG_ERR_DUPLICATE, "args.hours", "duplicate key" },
    { REQ("contractor.add", "{'contractor_id':'t','name':'n','skills':['a'],'languages':['en'],"
                            "'timezone':'UTC','hours':[{'day':8,'start':'08:00','end':'09:00'}]}"),
      TR_MSG_ERR_BAD_FIELD, "args.hours[0].day", "between 1 and 7" },
    { REQ("contractor.add", "{'contractor_id':'t','name':'n','skills':['a'],'languages':['en'],"
                            "'timezone':'UTC','hours':[{'day':1,'start':'09:00','end':'08:00'}]}"),
      TR_MSG_ERR_BAD_FIELD, "args.hours[0].end", "must be after start" },
    { REQ("contractor.add", "{'contractor_id':'t','name':'n','skills':['a'],'languages':['en'],"
                            "'timezone':'UTC','hours':[{'day':1,'start':'24:00','end':'00:00'}]}"),
      TR_MSG_ERR_BAD_FIELD, "args.hours[0].start", "HH:MM" },
    { REQ("contractor.add", "{'contractor_id':'t','name':'n','skills':['a'],'languages':['en'],"
                            "'timezone':'Not a zone'}"),
      TR_MSG_ERR_BAD_FIELD, "args.timezone", "IANA" },
    { REQ("contractor.add", "{'contractor_id':'t','name':'n','skills':['a'],'languages':['en']}"),
      TR_MSG_ERR_MISSING, "args.timezone", "missing" },
    { REQ("contractor.update", "{'name':'n'}"), TR_MSG_ERR_MISSING, "args.contractor_id",
      "missing" },
    { REQ("contractor.update", "{'contractor_id':'t','online':true}"), TR_MSG_ERR_UNKNOWN_FIELD,
      "args.online", "unknown key" },
    { REQ("directory.query", "{'state':'Tx'}"), TR_MSG_ERR_BAD_FIELD, "args.state",
      "2 upper-case letters or 2 digits" },
    { REQ("coverage.query", "{'state':'48'}"), TR_MSG_ERR_BAD_FIELD, "args.state",
      "2 upper-case letters" },
    { REQ("job.list", "{'limit':0}"), TR_MSG_ERR_BAD_FIELD, "args.limit", "between 1 and 1000" },
    /* response */
    { "{'type':'response','id':'s'," TS ",'corr':'r','re':'loc','result':{}}", TR_MSG_ERR_BAD_FIELD,
      "re", "must be one of: job.create" },
    { "{'type':'response','id':'s'," TS ",'corr':'r','re':'job.list','result':{'total':0}}",
      TR_MSG_ERR_MISSING, "result.jobs", "missing" },
    { "{'type':'response','id':'s'," TS ",'corr':'r','re':'job.list','result':{'jobs':[],"
      "'total':0,'job':{}}}",
      TR_MSG_ERR_UNKNOWN_FIELD, "result.job", "unknown key" },
    { "{'type':'response','id':'s'," TS ",'corr':'r','re':'job.show','result':{'job':" JOB_A
      ",'events':[{'ts':1700000000000,'state':'new','actor':''}]}}",
      TR_MSG_ERR_BAD_FIELD, "result.events[0].actor", "must not be empty" },
    { "{'type':'response','id':'s'," TS ",'corr':'r','re':'coverage.query','result':{"
      "'regions':[],'gaps':[],'uncovered_hours_utc':[0,24]}}",
      TR_MSG_ERR_BAD_FIELD, "result.uncovered_hours_utc[1]", "between 0 and 23" },
    { "{'type':'response','id':'s'," TS ",'corr':'r','re':'contractor.add','result':{"
      "'contractor':{'contractor_id':'t','name':'n','skills':['a'],'languages':['en'],"
      "'timezone':'UTC','lat':1}}}",
      TR_MSG_ERR_MISSING, "result.contractor.lon", "go together" },
    /* error */
    { "{'type':'error','id':'e'," TS ",'code':'oops','message':'m'}", TR_MSG_ERR_BAD_FIELD, "code",
      "must be one of" },
    { "{'type':'error','id':'e'," TS ",'code':'internal','message':''}", TR_MSG_ERR_BAD_FIELD,
      "message", "must not be empty" },
    /* bytes and grammar */
    { "", TR_MSG_ERR_BAD_JSON, "", "empty payload" },
    { "   ", TR_MSG_ERR_BAD_JSON, "", "empty payload" },
    { "[]", TR_MSG_ERR_BAD_JSON, "", "not a JSON object" },
    { "{'type':'loc'", TR_MSG_ERR_BAD_JSON, "", "expected ',' or '}'" },
    { "{'type':'loc'} x", TR_MSG_ERR_BAD_JSON, "", "trailing characters" },
    { "{'type':'loc'}{}", TR_MSG_ERR_BAD_JSON, "", "trailing characters" },
    { "{'type':'loc',}", TR_MSG_ERR_BAD_JSON, "", "expected a key" },
    { "{'a':01}", TR_MSG_ERR_BAD_JSON, "", "expected ',' or '}'" },
    { "{'a':1.}", TR_MSG_ERR_BAD_JSON, "", "bad number" },
    { "{'a':.5}", TR_MSG_ERR_BAD_JSON, "", "unexpected character" },
    { "{'a':+1}", TR_MSG_ERR_BAD_JSON, "", "unexpected character" },
    { "{'a':NaN}", TR_MSG_ERR_BAD_JSON, "", "unexpected character" },
    { "{'a':Infinity}", TR_MSG_ERR_BAD_JSON, "", "unexpected character" },
    { "{'a':tru}", TR_MSG_ERR_BAD_JSON, "", "unexpected character" },
    { "{'a':'\t'}", TR_MSG_ERR_BAD_JSON, "", "control character in string" },
    { "{'a':'\\x'}", TR_MSG_ERR_BAD_JSON, "", "bad escape" },
    { "{'a':'\\u12G4'}", TR_MSG_ERR_BAD_JSON, "", "bad \\u escape" },
    { "{'a':'x\\u0000y'}", TR_MSG_ERR_BAD_UTF8, "", "\\u0000 escape" },
    { "{'a':'\\ud800'}", TR_MSG_ERR_BAD_UTF8, "", "lone high surrogate" },
    { "{'a':'\\ud800\\u0041'}", TR_MSG_ERR_BAD_UTF8, "", "lone high surrogate" },
    { "{'a':'\\udc00'}", TR_MSG_ERR_BAD_UTF8, "", "lone low surrogate" },
    { "{'a':'\xff'}", TR_MSG_ERR_BAD_UTF8, "", "invalid UTF-8 at byte 6" },
    { "{'a':'\xc0\xaf'}", TR_MSG_ERR_BAD_UTF8, "", "invalid UTF-8" },         /* overlong / */
    { "{'a':'\xed\xa0\x80'}", TR_MSG_ERR_BAD_UTF8, "", "invalid UTF-8" },     /* surrogate */
    { "{'a':'\xf4\x90\x80\x80'}", TR_MSG_ERR_BAD_UTF8, "", "invalid UTF-8" }, /* > 10FFFF */
    { "{'a':'\xe2\x82'}", TR_MSG_ERR_BAD_UTF8, "", "invalid UTF-8" },         /* truncated */
    { "{'a':1e}", TR_MSG_ERR_BAD_JSON, "", "bad number" },
    { "{'a':-}", TR_MSG_ERR_BAD_JSON, "", "bad number" },
    { "{'a':1000000000000000000000000000000000000000000000000000000000000000}", TR_MSG_ERR_BAD_JSON,
      "", "longer than 63" },
};
#define N_BAD (sizeof bad_samples / sizeof bad_samples[0])

static void check_bad(const struct bad *b)
{
    char *json = q(b->json);
    struct tr_msg m;
    struct tr_msg_error e;
    int rc = dec(json, strlen(json), TR_MSG_NONE, &m, &e);
    CHECK_MSG(rc == b->code, "%s: got %d (%s) at '%s': %s, want %d", json, rc, tr_msg_strerror(rc),
              e.field, e.reason, b->code);
    CHECK_MSG(rc == e.code, "%s: err.code", json);
    CHECK_MSG(strcmp(e.field, b->field) == 0, "%s: field '%s', want '%s'", json, e.field, b->field);
    CHECK_MSG(strstr(e.reason, b->reason) != NULL, "%s: reason '%s', want '%s'", json, e.reason,
              b->reason);
    /* the error becomes a valid error reply */
    struct tr_msg reply;
    tr_msg_error_reply(&reply, m.id, &e);
    strcpy(reply.id, "err-1");
    reply.ts = 1700000000000;
    char *out = NULL;
    size_t n;
    CHECK_MSG(tr_msg_encode(&reply, &out, &n, NULL) == TR_MSG_OK, "error reply for %s", json);
    free(out);
    tr_msg_free(&m);
    free(json);
}

/* A JSON document of exactly `len` bytes: a job.show padded with spaces. */
static char *sized(size_t len)
{
    char *base = q(REQ("job.show", "{'job_id':'j1'}"));
    size_t n = strlen(base);
    char *b = malloc(len);
    memcpy(b, base, n);
    memset(b + n, ' ', len - n);
    free(base);
    return b;
}

static void test_bytes(void)
{
    struct tr_msg m;
    struct tr_msg_error e;
    char *b = sized(TR_MSG_MAX_BYTES);
    CHECK(dec(b, TR_MSG_MAX_BYTES, TR_MSG_NONE, &m, &e) == TR_MSG_OK);
    free(b);
    b = sized(TR_MSG_MAX_BYTES + 1);
    CHECK(dec(b, TR_MSG_MAX_BYTES + 1, TR_MSG_NONE, &m, &e) == TR_MSG_ERR_TOO_LARGE);
    CHECK(strstr(e.reason, "65537 bytes (max 65536)") != NULL);
    CHECK(tr_msg_err_wire_code(e.code) == TR_WIRE_TOO_LARGE);
    free(b);

    /* a NUL byte inside the payload, and one right after a valid object */
    const char nul1[] = "{\"type\":\"lo\0c\"}";
    CHECK(dec(nul1, sizeof nul1 - 1, TR_MSG_NONE, &m, &e) == TR_MSG_ERR_BAD_UTF8);
    CHECK(strstr(e.reason, "0x00 byte at byte 11") != NULL);
    char *job = q(REQ("job.show", "{'job_id':'j1'}"));
    size_t jn = strlen(job);
    CHECK(dec(job, jn + 1, TR_MSG_NONE, &m, &e) == TR_MSG_ERR_BAD_UTF8);
    CHECK(dec(job, jn, TR_MSG_NONE, &m, &e) == TR_MSG_OK);
    free(job);

    /* nesting: 16 levels pass the scan (then fail as unknown key), 17 do not */
    char deep[200];
    for (int levels = 16; levels <= 17; levels++) {
        size_t n = 0;
        n += (size_t)snprintf(deep, sizeof deep, "{\"type\":\"job.list\",\"x\":");
        for (int i = 1; i < levels; i++)
            deep[n++] = '[';
        for (int i = 1; i < levels; i++)
            deep[n++] = ']';
        deep[n++] = '}';
        int rc = dec(deep, n, TR_MSG_NONE, &m, &e);
        if (levels == 16)
            CHECK_MSG(rc == TR_MSG_ERR_UNKNOWN_FIELD, "16 deep: %s", e.reason);
        else
            CHECK_MSG(rc == TR_MSG_ERR_TOO_DEEP && strstr(e.reason, "deeper than 16"),
                      "17 deep: %d %s", rc, e.reason);
    }
    /* far deeper than cJSON's own limit: stopped by the scan, no recursion */
    size_t big = 5000;
    char *dd = malloc(2 * big + 2);
    dd[0] = '{';
    memset(dd + 1, '[', big);
    memset(dd + 1 + big, ']', big);
    dd[2 * big + 1] = '}';
    CHECK(dec(dd, 2 * big + 2, TR_MSG_NONE, &m, &e) == TR_MSG_ERR_BAD_JSON); /* '[' is no key */
    dd[1] = '"';
    free(dd);

    /* NULL and empty arguments */
    CHECK(tr_msg_decode(NULL, 0, &m, &e) == TR_MSG_ERR_BAD_JSON);
    CHECK(tr_msg_decode(NULL, 5, &m, &e) == TR_MSG_ERR_INVALID);
    CHECK(tr_msg_decode("{}", 2, NULL, NULL) == TR_MSG_ERR_INVALID);
    CHECK(tr_msg_decode("{}", 2, &m, NULL) == TR_MSG_ERR_BAD_TYPE);
}

static void test_numbers(void)
{
    struct tr_msg m;
    struct tr_msg_error e;
    char *j = q(LOC("{'seq':0,'t':1700000000000,'lat':-0,'lon':-0.0,'mode':3,'acc':1E2,"
                    "'heading':0}"));
    CHECK(dec(j, strlen(j), TR_MSG_LOC, &m, &e) == TR_MSG_OK);
    CHECK(m.u.loc.fixes[0].lat == 0 && signbit(m.u.loc.fixes[0].lat));
    CHECK(m.u.loc.fixes[0].acc == 100);
    free(j);
    /* integral value written with a fraction or exponent is an integer */
    j = q(LOC("{'seq':2.0,'t':1.7e12,'lat':0,'lon':0,'mode':3}"));
    CHECK(dec(j, strlen(j), TR_MSG_LOC, &m, &e) == TR_MSG_OK);
    CHECK(m.u.loc.fixes[0].seq == 2 && m.u.loc.fixes[0].t == 1700000000000);
    free(j);
    /* lat/lon round trip to the last bit */
    tr_msg_init(&m, TR_MSG_LOC);
    strcpy(m.id, "x");
    m.ts = 1700000000000;
    strcpy(m.u.loc.agent_id, "a");
    strcpy(m.u.loc.boot_id, "b");
    m.u.loc.n_fixes = 3;
    double lats[3] = { 30.123456789012345, -89.99999999999999, 0.1 };
    for (int i = 0; i < 3; i++) {
        struct tr_fix *f = &m.u.loc.fixes[i];
        f->seq = i;
        f->t = 1700000000000;
        f->lat = lats[i];
        f->lon = -179.99999999999997 + i;
        f->mode = 3;
    }
    char *out;
    size_t n;
    CHECK(tr_msg_encode(&m, &out, &n, &e) == TR_MSG_OK);
    struct tr_msg b;
    CHECK(dec(out, n, TR_MSG_LOC, &b, &e) == TR_MSG_OK);
    CHECK(tr_msg_equal(&m, &b));
    CHECK(b.u.loc.fixes[0].lat == lats[0]);
    free(out);
    /* time_ms and seq print as plain integers */
    m.u.loc.n_fixes = 1;
    m.u.loc.fixes[0].seq = 9007199254740991;
    CHECK(tr_msg_encode(&m, &out, &n, &e) == TR_MSG_OK);
    CHECK(strstr(out, "\"seq\":9007199254740991,\"t\":1700000000000,") != NULL);
    free(out);
}

static void test_encode_checks(void)
{
    struct tr_msg m;
    struct tr_msg_error e;
    char *out = NULL;
    size_t n;
    tr_msg_init(&m, TR_MSG_LOC);
    strcpy(m.id, "x");
    m.ts = 1700000000000;
    strcpy(m.u.loc.agent_id, "a");
    strcpy(m.u.loc.boot_id, "b");
    m.u.loc.n_fixes = 2;
    for (int i = 0; i < 2; i++) {
        m.u.loc.fixes[i] =
            (struct tr_fix){ .seq = i, .t = 1700000000000, .lat = 1, .lon = 2, .mode = 2 };
    }
    CHECK(tr_msg_validate(&m, &e) == TR_MSG_OK);
    m.u.loc.fixes[1].lat = NAN;
    CHECK(tr_msg_encode(&m, &out, &n, &e) == TR_MSG_ERR_BAD_FIELD && out == NULL);
    CHECK(strcmp(e.field, "fixes[1].lat") == 0);
    m.u.loc.fixes[1].lat = INFINITY;
    CHECK(tr_msg_validate(&m, &e) == TR_MSG_ERR_BAD_FIELD);
    m.u.loc.fixes[1].lat = 1;
    m.u.loc.fixes[1].has_speed = true;
    m.u.loc.fixes[1].speed = 151;
    CHECK(tr_msg_validate(&m, &e) == TR_MSG_ERR_BAD_FIELD && !strcmp(e.field, "fixes[1].speed"));
    m.u.loc.fixes[1].has_speed = false; /* absent: its value is not looked at */
    CHECK(tr_msg_validate(&m, &e) == TR_MSG_OK);
    m.u.loc.fixes[1].seq = 0;
    CHECK(tr_msg_validate(&m, &e) == TR_MSG_ERR_BAD_FIELD && !strcmp(e.field, "fixes[1].seq"));
    m.u.loc.fixes[1].seq = 1;
    m.u.loc.n_fixes = 101;
    CHECK(tr_msg_validate(&m, &e) == TR_MSG_ERR_BAD_FIELD && !strcmp(e.field, "fixes"));
    m.u.loc.n_fixes = 2;
    memset(m.u.loc.agent_id, 'a', sizeof m.u.loc.agent_id); /* no NUL */
    CHECK(tr_msg_validate(&m, &e) == TR_MSG_ERR_BAD_FIELD && strstr(e.reason, "NUL"));
    strcpy(m.u.loc.agent_id, "a+b");
    CHECK(tr_msg_validate(&m, &e) == TR_MSG_ERR_BAD_FIELD && !strcmp(e.field, "agent_id"));
    strcpy(m.u.loc.agent_id, "a");
    strcpy(m.id, "");
    CHECK(tr_msg_validate(&m, &e) == TR_MSG_ERR_BAD_FIELD && !strcmp(e.field, "id"));
    strcpy(m.id, "x");
    m.ts = 0;
    CHECK(tr_msg_validate(&m, &e) == TR_MSG_ERR_BAD_FIELD && !strcmp(e.field, "ts"));
    m.ts = 1700000000000;

    /* encode into a caller buffer */
    char small[16], big[512];
    CHECK(tr_msg_encode_buf(&m, small, sizeof small, &n, &e) == TR_MSG_ERR_INVALID);
    CHECK(tr_msg_encode_buf(&m, big, sizeof big, &n, &e) == TR_MSG_OK && n == strlen(big));

    /* bad enum value, invalid UTF-8 in a string, unknown type */
    tr_msg_init(&m, TR_MSG_JOB_EVENT);
    strcpy(m.id, "x");
    m.ts = 1700000000000;
    strcpy(m.u.job_event.agent_id, "a");
    strcpy(m.u.job_event.job_id, "j");
    m.u.job_event.event = (enum tr_event_kind)6;
    CHECK(tr_msg_validate(&m, &e) == TR_MSG_ERR_BAD_FIELD && !strcmp(e.field, "event"));
    m.u.job_event.event = TR_EVENT_FAILED;
    CHECK(tr_msg_validate(&m, &e) == TR_MSG_ERR_MISSING && !strcmp(e.field, "note"));
    m.u.job_event.has_note = true;
    strcpy(m.u.job_event.note, "bad \xc3");
    CHECK(tr_msg_validate(&m, &e) == TR_MSG_ERR_BAD_UTF8 && !strcmp(e.field, "note"));
    strcpy(m.u.job_event.note, "control \x01 chars \"quoted\" \\ are escaped");
    CHECK(tr_msg_encode(&m, &out, &n, &e) == TR_MSG_OK);
    struct tr_msg b;
    CHECK(dec(out, n, TR_MSG_NONE, &b, &e) == TR_MSG_OK && tr_msg_equal(&m, &b));
    free(out);
    m.type = TR_MSG_NONE;
    CHECK(tr_msg_encode(&m, &out, &n, &e) == TR_MSG_ERR_INVALID && out == NULL);
    m.type = (enum tr_msg_type)99;
    CHECK(tr_msg_validate(&m, &e) == TR_MSG_ERR_INVALID);
    CHECK(tr_msg_encode(NULL, &out, &n, &e) == TR_MSG_ERR_INVALID);

    /* a response too large for one payload is refused */
    tr_msg_init(&m, TR_MSG_RESPONSE);
    strcpy(m.id, "x");
    m.ts = 1700000000000;
    strcpy(m.u.response.corr, "c");
    m.u.response.re = TR_MSG_COVERAGE_QUERY;
    m.u.response.result.n_gaps = 4000;
    m.u.response.result.gaps = calloc(4000, sizeof(struct tr_region));
    for (int i = 0; i < 4000; i++) {
        m.u.response.result.gaps[i].has_county = true;
        strcpy(m.u.response.result.gaps[i].county, "Some County");
    }
    CHECK(tr_msg_encode(&m, &out, &n, &e) == TR_MSG_ERR_TOO_LARGE && out == NULL);
    m.u.response.result.n_gaps = 4001;
    CHECK(tr_msg_validate(&m, &e) == TR_MSG_ERR_BAD_FIELD && !strcmp(e.field, "result.gaps"));
    tr_msg_free(&m);
    CHECK(m.u.response.result.gaps == NULL && m.u.response.result.n_gaps == 0);
    tr_msg_free(&m); /* twice is fine */
    tr_msg_free(NULL);
}

static void test_semantics(void)
{
    struct tr_msg m;
    struct tr_msg_error e;
    /* defaults are filled in, has_x stays false, re-encoding omits them */
    char *j = q(REQ("job.create", "{" SPEC ",'site':" SITE "}"));
    CHECK(dec(j, strlen(j), TR_MSG_JOB_CREATE, &m, &e) == TR_MSG_OK);
    struct tr_req_job_create *a = &m.u.job_create;
    CHECK(!a->spec.has_priority && a->spec.priority == TR_PRIORITY_NORMAL);
    CHECK(!a->spec.has_tier && a->spec.tier == 1);
    CHECK(!a->site.has_radius_m && a->site.radius_m == 100);
    CHECK(a->spec.n_skills == 2 && !strcmp(a->spec.skills[1], "wifi"));
    char *out;
    size_t n;
    CHECK(tr_msg_encode(&m, &out, &n, &e) == TR_MSG_OK);
    CHECK(strstr(out, "priority") == NULL && strstr(out, "radius_m") == NULL);
    free(out);
    free(j);
    j = q(
        REQ("contractor.add",
            "{'contractor_id':'t','name':'n','skills':['a'],'languages':['en'],'timezone':'UTC'}"));
    CHECK(dec(j, strlen(j), TR_MSG_CONTRACTOR_ADD, &m, &e) == TR_MSG_OK);
    CHECK(m.u.contractor_add.active && !m.u.contractor_add.has_active);
    CHECK(m.u.contractor_add.radius_km == 50 && m.u.contractor_add.job_limit == 1);
    CHECK(m.u.contractor_add.travel_mode == TR_TRAVEL_CAR && !m.u.contractor_add.has_hours);
    free(j);
    /* contractor.update fills no defaults */
    j = q(REQ("contractor.update", "{'contractor_id':'t'}"));
    CHECK(dec(j, strlen(j), TR_MSG_CONTRACTOR_UPDATE, &m, &e) == TR_MSG_OK);
    CHECK(!m.u.contractor_update.c.has_active && !m.u.contractor_update.c.active);
    CHECK(!m.u.contractor_update.has_name && m.u.contractor_update.c.radius_km == 0);
    free(j);

    /* per-topic decoding: another type is refused, its id kept for the reply */
    j = q("{'type':'job.show','id':'req-7'," TS ",'args':{'job_id':'j1'}}");
    CHECK(dec(j, strlen(j), TR_MSG_LOC, &m, &e) == TR_MSG_ERR_BAD_TYPE);
    CHECK(!strcmp(e.field, "type") && !strcmp(e.reason, "must be loc here"));
    CHECK(m.type == TR_MSG_JOB_SHOW && !strcmp(m.id, "req-7"));
    free(j);
    /* the id is kept when a later field is bad; reply carries it as corr */
    j = q("{'type':'job.show','id':'req-8'," TS ",'args':{'job_id':'j/1'}}");
    CHECK(dec(j, strlen(j), TR_MSG_NONE, &m, &e) == TR_MSG_ERR_BAD_FIELD);
    CHECK(!strcmp(m.id, "req-8") && !strcmp(e.field, "args.job_id"));
    struct tr_msg reply;
    tr_msg_error_reply(&reply, m.id, &e);
    CHECK(reply.type == TR_MSG_ERROR && reply.u.error.has_corr);
    CHECK(!strcmp(reply.u.error.corr, "req-8") && reply.u.error.code == TR_WIRE_BAD_FIELD);
    CHECK(!strcmp(reply.u.error.field, "args.job_id") && reply.u.error.has_field);
    free(j);
    /* so is a well-formed reply_to after the bad args (MQTT 3.1.1 consoles);
     * a refused one never */
    j = q("{'type':'job.show','id':'req-9'," TS ",'args':{'job_id':'j/1'},"
          "'reply_to':'truckroll/v1/console/ops/resp'}");
    CHECK(dec(j, strlen(j), TR_MSG_NONE, &m, &e) == TR_MSG_ERR_BAD_FIELD);
    CHECK(m.has_reply_to && !strcmp(m.reply_to, "truckroll/v1/console/ops/resp"));
    free(j);
    j = q("{'type':'job.show','id':'req-9'," TS ",'args':{'job_id':'j/1'},"
          "'reply_to':'truckroll/v1/console/+/resp'}");
    CHECK(dec(j, strlen(j), TR_MSG_NONE, &m, &e) == TR_MSG_ERR_BAD_FIELD && !m.has_reply_to);
    free(j);
    j = q("{'type':'job.show','id':'req-9'," TS ",'args':{'job_id':'j1'},"
          "'reply_to':'truckroll/v1/console/ops/resp','x':1}");
    CHECK(dec(j, strlen(j), TR_MSG_NONE, &m, &e) == TR_MSG_ERR_UNKNOWN_FIELD && m.has_reply_to);
    free(j);
    /* an unknown key with UTF-8 is cut on a character boundary in the path */
    char key[300] = "{\"type\":\"job.list\",\"id\":\"x\",\"ts\":1700000000000,\"args\":{},\"";
    size_t kn = strlen(key);
    for (int i = 0; i < 100; i++) {
        memcpy(key + kn, "\xc3\xa9", 2);
        kn += 2;
    }
    memcpy(key + kn, "\":1}", 5);
    CHECK(tr_msg_decode(key, strlen(key), &m, &e) == TR_MSG_ERR_UNKNOWN_FIELD);
    CHECK(strlen(e.field) == 128 && tr_msg_valid_msgid("x"));
    tr_msg_error_reply(&reply, "not/valid", &e);
    strcpy(reply.id, "e");
    reply.ts = 1700000000000;
    CHECK(!reply.u.error.has_corr && tr_msg_validate(&reply, NULL) == TR_MSG_OK);

    /* equality notices differences */
    char *s1 = q(valid_samples[2]);
    struct tr_msg x, y;
    CHECK(dec(s1, strlen(s1), TR_MSG_NONE, &x, NULL) == TR_MSG_OK);
    y = x;
    CHECK(tr_msg_equal(&x, &y));
    y.u.loc.fixes[1].lat = 89.9;
    CHECK(!tr_msg_equal(&x, &y));
    y = x;
    y.u.loc.fixes[0].has_acc = false;
    CHECK(!tr_msg_equal(&x, &y));
    y = x;
    y.u.loc.fixes[1].acc = 5; /* absent field: not compared */
    CHECK(tr_msg_equal(&x, &y));
    CHECK(!tr_msg_equal(&x, NULL));
    free(s1);
}

static void test_names_and_validators(void)
{
    for (int t = 1; t < TR_MSG_TYPE_COUNT; t++) {
        const char *name = tr_msg_type_name((enum tr_msg_type)t);
        CHECK(tr_msg_type_from_name(name) == (enum tr_msg_type)t);
        CHECK(tr_msg_type_is_request((enum tr_msg_type)t) == (strchr(name, '.') != NULL));
    }
    CHECK(tr_msg_type_from_name("LOC") == TR_MSG_NONE && tr_msg_type_from_name(NULL) == 0);
    CHECK(!strcmp(tr_msg_type_name(TR_MSG_NONE), "?"));
    CHECK(!strcmp(tr_msg_type_name((enum tr_msg_type)99), "?"));
    enum tr_job_state st;
    CHECK(tr_msg_job_state_parse("en_route", &st) == 0 && st == TR_JOB_EN_ROUTE);
    CHECK(tr_msg_job_state_parse("EN_ROUTE", &st) == -1);
    CHECK(!strcmp(tr_msg_job_state_name(TR_JOB_RELEASED), "released"));
    enum tr_priority p;
    CHECK(tr_msg_priority_parse("urgent", &p) == 0 && p == TR_PRIORITY_URGENT);
    CHECK(!strcmp(tr_msg_priority_name(TR_PRIORITY_LOW), "low"));
    enum tr_travel_mode tm;
    CHECK(tr_msg_travel_mode_parse("foot", &tm) == 0 && tm == TR_TRAVEL_FOOT);
    enum tr_agent_mode am;
    CHECK(tr_msg_agent_mode_parse("off_shift", &am) == 0 && am == TR_MODE_OFF_SHIFT);
    CHECK(!strcmp(tr_msg_agent_mode_name(TR_MODE_ON_SITE), "on_site"));
    CHECK(!strcmp(tr_msg_travel_mode_name(TR_TRAVEL_BICYCLE), "bicycle"));
    CHECK(!strcmp(tr_msg_wire_code_name(TR_WIRE_UNAVAILABLE), "unavailable"));
    for (int c = 0; c <= TR_MSG_ERR_INVALID; c++)
        CHECK(strcmp(tr_msg_strerror(c), "unknown error") != 0);
    CHECK(tr_msg_err_wire_code(TR_MSG_ERR_DUPLICATE) == TR_WIRE_BAD_JSON);
    CHECK(tr_msg_err_wire_code(TR_MSG_ERR_UNKNOWN_FIELD) == TR_WIRE_BAD_FIELD);
    CHECK(tr_msg_err_wire_code(TR_MSG_ERR_NOMEM) == TR_WIRE_INTERNAL);

    CHECK(tr_msg_valid_agent_id("tech-1.a_b"));
    CHECK(!tr_msg_valid_agent_id("tech:1") && !tr_msg_valid_agent_id("a/b"));
    CHECK(!tr_msg_valid_agent_id("+") && !tr_msg_valid_agent_id("#") && !tr_msg_valid_agent_id(""));
    CHECK(!tr_msg_valid_agent_id("-a") && !tr_msg_valid_agent_id(NULL));
    char id64[66];
    memset(id64, 'a', 65);
    id64[65] = 0;
    CHECK(!tr_msg_valid_msgid(id64));
    id64[64] = 0;
    CHECK(tr_msg_valid_msgid(id64) && tr_msg_valid_agent_id(id64));
    CHECK(tr_msg_valid_msgid("2024:01:x") && !tr_msg_valid_msgid("a b"));
    CHECK(tr_msg_valid_skill("hdd-install") && !tr_msg_valid_skill("HDD") &&
          !tr_msg_valid_skill("-x"));
    CHECK(tr_msg_valid_lang("es-MX") && tr_msg_valid_lang("zh-Hant-TW") &&
          tr_msg_valid_lang("sgn-ase-x1-abcdefgh"));
    CHECK(!tr_msg_valid_lang("e") && !tr_msg_valid_lang("es-") && !tr_msg_valid_lang("es-M") &&
          !tr_msg_valid_lang("engl") && !tr_msg_valid_lang("a-bb-cc-dd-ee") &&
          !tr_msg_valid_lang("es_MX"));
    CHECK(tr_msg_valid_timezone("UTC") && tr_msg_valid_timezone("America/Argentina/Buenos_Aires"));
    CHECK(tr_msg_valid_timezone("Etc/GMT+5") && !tr_msg_valid_timezone("America/") &&
          !tr_msg_valid_timezone("a/b/c/d") && !tr_msg_valid_timezone("/UTC"));
    CHECK(tr_msg_lang_matches("es", "es-MX") && tr_msg_lang_matches("ES", "es-mx"));
    CHECK(tr_msg_lang_matches("es-MX", "es-mx") && tr_msg_lang_matches("en", "en"));
    CHECK(!tr_msg_lang_matches("es-MX", "es") && !tr_msg_lang_matches("es", "est"));
    CHECK(!tr_msg_lang_matches("", "es") && !tr_msg_lang_matches(NULL, "es"));
}

/* tr_msg_claimed_agent_id: the sender's id for the four types an agent
 * publishes, NULL for the rest (offer, assignment, ... name an agent too). */
static void test_claimed_agent_id(void)
{
    unsigned claimed = 0;
    for (size_t i = 0; i < N_VALID; i++) {
        char *json = q(valid_samples[i]);
        struct tr_msg m;
        if (dec(json, strlen(json), TR_MSG_NONE, &m, NULL) == TR_MSG_OK) {
            const char *id = tr_msg_claimed_agent_id(&m);
            bool sent_by_agent = m.type == TR_MSG_PRESENCE || m.type == TR_MSG_LOC ||
                                 m.type == TR_MSG_OFFER_ANSWER || m.type == TR_MSG_JOB_EVENT;
            CHECK_MSG(sent_by_agent ? id && !strcmp(id, "tech-1") : id == NULL, "%s", json);
            claimed += id != NULL;
            tr_msg_free(&m);
        }
        free(json);
    }
    CHECK(claimed >= 5); /* presence x2, loc, offer_answer, job_event */
    CHECK(tr_msg_claimed_agent_id(NULL) == NULL);
}

static void test_tables(void)
{
    char why[200];
    for (int t = 1; t < TR_MSG_TYPE_COUNT; t++) {
        const struct tr_msgc_obj *d = tr_msgc_agent_desc((enum tr_msg_type)t);
        if (!d)
            d = tr_msgc_console_desc((enum tr_msg_type)t);
        CHECK_MSG(d != NULL, "no table for type %d", t);
        if (d)
            CHECK_MSG(tr_msgc_selfcheck(d, why, sizeof why) == 0, "%s", why);
    }
}

int main(void)
{
    test_tables();
    for (size_t i = 0; i < N_VALID; i++)
        round_trip(valid_samples[i]);
    for (size_t i = 0; i < N_BAD; i++)
        check_bad(&bad_samples[i]);
    test_bytes();
    test_numbers();
    test_encode_checks();
    test_semantics();
    test_names_and_validators();
    test_claimed_agent_id();
    return check_report("unit.msg");
}
