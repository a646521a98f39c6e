/*
 * dispatcher/cli/show.c: jobs and contractors as people read them (show.h):
 * key/value detail pages, table rows, job status lines.
 *
 * Only formatting; nothing here talks to the dispatcher.
 */
#include "dispatcher/cli/show.h"

#include <stdbool.h>
#include <string.h>

#include "dispatcher/cli/parse.h"

char *tr_cli_join(const char *items, size_t n, size_t stride, const char *sep, char *buf,
                  size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < cap; i++) {
        int w = snprintf(buf + used, cap - used, "%s%s", i ? sep : "", items + i * stride);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    return buf;
}

const char *tr_cli_job_why(const struct tr_job *j)
{
    bool waiting = j->state == TR_JOB_NEW || j->state == TR_JOB_OFFERED ||
                   j->state == TR_JOB_UNASSIGNED || j->state == TR_JOB_RELEASED;
    if (!waiting)
        return ""; /* a reason left from before is history, not why it waits */
    if (j->has_reason)
        return j->reason;
    switch (j->state) {
    case TR_JOB_NEW:
        return "looking for a contractor";
    case TR_JOB_UNASSIGNED:
        return "waiting: nobody fits yet (no reason given)";
    case TR_JOB_RELEASED:
        return "released: looking for another contractor";
    default:
        return "";
    }
}

static void kv(FILE *out, const char *key, const char *value)
{
    fprintf(out, "%-12s %s\n", key, value && *value ? value : "-");
}

static void pay_text(const struct tr_pay *p, char *buf, size_t cap)
{
    char a[24], b[24];
    if (p->has_per_incident_cents && p->has_per_hour_cents)
        snprintf(buf, cap, "%s %s per incident, %s per hour", p->currency,
                 tr_cli_format_cents(p->per_incident_cents, a, sizeof a),
                 tr_cli_format_cents(p->per_hour_cents, b, sizeof b));
    else if (p->has_per_incident_cents)
        snprintf(buf, cap, "%s %s per incident", p->currency,
                 tr_cli_format_cents(p->per_incident_cents, a, sizeof a));
    else if (p->has_per_hour_cents)
        snprintf(buf, cap, "%s %s per hour", p->currency,
                 tr_cli_format_cents(p->per_hour_cents, b, sizeof b));
    else
        snprintf(buf, cap, "%s", p->currency);
}

static void region_text(const struct tr_region *r, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s%s%s%s%s%s%s%s", r->has_country ? r->country : "",
             r->has_state ? " " : "", r->has_state ? r->state : "", r->has_county ? " " : "",
             r->has_county ? r->county : "", r->has_county_fips ? " (" : "",
             r->has_county_fips ? r->county_fips : "", r->has_county_fips ? ")" : "");
}

void tr_cli_show_job(const struct tr_job *j, const struct tr_job_history *ev, size_t n_events,
                     int64_t now_ms, FILE *out)
{
    const struct tr_job_spec *s = &j->spec;
    char buf[1200], t1[40], t2[40], age[24];
    kv(out, "job", j->job_id);
    snprintf(buf, sizeof buf, "%s (since %s, %s ago)", tr_msg_job_state_name(j->state),
             tr_cli_fmt_time(j->updated, t1, sizeof t1),
             tr_cli_fmt_age(now_ms - j->updated, age, sizeof age));
    kv(out, "state", buf);
    if (*tr_cli_job_why(j))
        kv(out, "why", tr_cli_job_why(j));
    else if (j->has_reason)
        kv(out, "last reason", j->reason);
    kv(out, "title", s->title);
    if (s->has_description)
        kv(out, "description", s->description);
    kv(out, "skills",
       tr_cli_join(&s->skills[0][0], s->n_skills, sizeof s->skills[0], ", ", buf, sizeof buf));
    kv(out, "language", s->has_language ? s->language : "any");
    snprintf(buf, sizeof buf, "%s, tier %d", tr_msg_priority_name(s->priority), s->tier);
    kv(out, "priority", buf);
    snprintf(buf, sizeof buf, "%.6f, %.6f%s%s%s (arrival radius %d m)", j->site.lat, j->site.lon,
             j->site.has_address ? "  \"" : "", j->site.has_address ? j->site.address : "",
             j->site.has_address ? "\"" : "", j->site.has_radius_m ? j->site.radius_m : 100);
    kv(out, "site", buf);
    if (j->has_region) {
        region_text(&j->region, buf, sizeof buf);
        kv(out, "region", buf);
    }
    if (s->has_window) {
        snprintf(buf, sizeof buf, "%s .. %s", tr_cli_fmt_time(s->window.start, t1, sizeof t1),
                 tr_cli_fmt_time(s->window.end, t2, sizeof t2));
        kv(out, "window", buf);
    }
    if (s->has_pay) {
        pay_text(&s->pay, buf, sizeof buf);
        kv(out, "pay", buf);
    }
    kv(out, "assignee", j->has_assignee ? j->assignee : NULL);
    if (j->has_offer) {
        snprintf(buf, sizeof buf, "%s to %s, answer by %s", j->offer.offer_id, j->offer.agent_id,
                 tr_cli_fmt_time(j->offer.deadline, t1, sizeof t1));
        kv(out, "offer", buf);
    }
    snprintf(buf, sizeof buf, "%d", j->attempts);
    kv(out, "attempts", buf);
    kv(out, "created", tr_cli_fmt_time(j->created, t1, sizeof t1));
    kv(out, "updated", tr_cli_fmt_time(j->updated, t1, sizeof t1));
    if (n_events == 0)
        return;
    static const char *const hdr[] = { "TIME", "STATE", "BY", "NOTE" };
    struct tr_cli_table *t = tr_cli_table_new(4, hdr);
    if (!t)
        return;
    for (size_t i = 0; i < n_events; i++) {
        const char *row[4] = { tr_cli_fmt_time(ev[i].ts, t1, sizeof t1),
                               tr_msg_job_state_name(ev[i].state), ev[i].actor,
                               ev[i].has_note ? ev[i].note : "" };
        tr_cli_table_add(t, row);
    }
    fprintf(out, "\nhistory:\n");
    tr_cli_table_print(t, out);
    tr_cli_table_free(t);
}

struct tr_cli_table *tr_cli_job_table(void)
{
    static const char *const hdr[] = {
        "ID", "STATE", "TITLE", "SKILLS", "ASSIGNEE", "AGE", "REASON"
    };
    struct tr_cli_table *t = tr_cli_table_new(7, hdr);
    tr_cli_table_set_max(t, 2, 30);
    tr_cli_table_set_max(t, 3, 24);
    tr_cli_table_set_max(t, 6, 60);
    tr_cli_table_align_right(t, 5);
    return t;
}

int tr_cli_job_row(struct tr_cli_table *t, const struct tr_job *j, int64_t now_ms)
{
    char skills[600], age[24];
    const char *assignee = j->has_assignee                              ? j->assignee
                           : j->has_offer && j->state == TR_JOB_OFFERED ? j->offer.agent_id
                                                                        : "";
    const char *row[7] = { j->job_id,
                           tr_msg_job_state_name(j->state),
                           j->spec.title,
                           tr_cli_join(&j->spec.skills[0][0], j->spec.n_skills,
                                       sizeof j->spec.skills[0], ",", skills, sizeof skills),
                           assignee,
                           tr_cli_fmt_age(now_ms - j->created, age, sizeof age),
                           tr_cli_job_why(j) };
    return tr_cli_table_add(t, row);
}

void tr_cli_job_line(const struct tr_job *j, FILE *out)
{
    char t[40];
    fprintf(out, "%s  %s  %s", tr_cli_fmt_time(j->updated, t, sizeof t), j->job_id,
            tr_msg_job_state_name(j->state));
    if (j->has_assignee)
        fprintf(out, "  -> %s", j->assignee);
    else if (j->has_offer && j->state == TR_JOB_OFFERED)
        fprintf(out, "  offered to %s", j->offer.agent_id);
    if (j->attempts > 0)
        fprintf(out, "  attempt %d", j->attempts);
    if (*tr_cli_job_why(j))
        fprintf(out, "  (%s)", tr_cli_job_why(j));
    fputc('\n', out);
}

void tr_cli_show_contractor(const struct tr_contractor_view *v, int64_t now_ms, FILE *out)
{
    const struct tr_contractor *c = &v->c;
    char buf[1200], t1[40], age[24];
    kv(out, "contractor", c->contractor_id);
    kv(out, "name", c->name);
    kv(out, "active", c->active ? "yes" : "no (retired: never matched)");
    kv(out, "skills",
       tr_cli_join(&c->skills[0][0], c->n_skills, sizeof c->skills[0], ", ", buf, sizeof buf));
    kv(out, "languages",
       tr_cli_join(&c->languages[0][0], c->n_languages, sizeof c->languages[0], ", ", buf,
                   sizeof buf));
    snprintf(buf, sizeof buf, "%d", c->tier);
    kv(out, "tier", buf);
    snprintf(buf, sizeof buf, "%s, radius %g km, up to %d job(s) at once",
             tr_msg_travel_mode_name(c->travel_mode), c->radius_km, c->job_limit);
    kv(out, "travel", buf);
    kv(out, "timezone", c->timezone);
    kv(out, "hours",
       c->has_hours ? tr_cli_format_hours(c->hours, c->n_hours, buf, sizeof buf)
                    : "always (no hours set)");
    if (c->has_pay) {
        pay_text(&c->pay, buf, sizeof buf);
        kv(out, "pay", buf);
    }
    if (c->has_home) {
        snprintf(buf, sizeof buf, "%.6f, %.6f", c->home.lat, c->home.lon);
        kv(out, "home", buf);
    }
    if (v->has_online)
        kv(out, "online", v->online ? "yes" : "no");
    if (v->has_available)
        kv(out, "available", v->available ? "yes" : "no");
    if (v->has_active_jobs) {
        snprintf(buf, sizeof buf, "%d", v->active_jobs);
        kv(out, "active jobs", buf);
    }
    if (v->has_lat && v->has_lon) {
        snprintf(buf, sizeof buf, "%.6f, %.6f", v->lat, v->lon);
        kv(out, "position", buf);
    }
    if (v->has_region) {
        region_text(&v->region, buf, sizeof buf);
        kv(out, "region", buf);
    }
    if (v->has_last_seen) {
        snprintf(buf, sizeof buf, "%s (%s ago)", tr_cli_fmt_time(v->last_seen, t1, sizeof t1),
                 tr_cli_fmt_age(now_ms - v->last_seen, age, sizeof age));
        kv(out, "last seen", buf);
    }
}

struct tr_cli_table *tr_cli_contractor_table(void)
{
    static const char *const hdr[] = { "ID",     "NAME",   "SKILLS", "LANGS", "TIER", "TRAVEL",
                                       "RADIUS", "ONLINE", "AVAIL",  "JOBS",  "SEEN" };
    struct tr_cli_table *t = tr_cli_table_new(11, hdr);
    tr_cli_table_set_max(t, 1, 24);
    tr_cli_table_set_max(t, 2, 30);
    tr_cli_table_align_right(t, 6);
    tr_cli_table_align_right(t, 9);
    tr_cli_table_align_right(t, 10);
    return t;
}

static const char *yn(bool has, bool v)
{
    return !has ? "" : v ? "yes" : "no";
}

int tr_cli_contractor_row(struct tr_cli_table *t, const struct tr_contractor_view *v,
                          int64_t now_ms)
{
    const struct tr_contractor *c = &v->c;
    char skills[600], langs[300], tier[8], radius[24], jobs[12], seen[24];
    snprintf(tier, sizeof tier, "%d", c->tier);
    snprintf(radius, sizeof radius, "%gkm", c->radius_km);
    snprintf(jobs, sizeof jobs, "%d", v->has_active_jobs ? v->active_jobs : 0);
    const char *row[11] = {
        c->contractor_id,
        c->active ? c->name : "(retired)",
        tr_cli_join(&c->skills[0][0], c->n_skills, sizeof c->skills[0], ",", skills, sizeof skills),
        tr_cli_join(&c->languages[0][0], c->n_languages, sizeof c->languages[0], ",", langs,
                    sizeof langs),
        tier,
        tr_msg_travel_mode_name(c->travel_mode),
        radius,
        yn(v->has_online, v->online),
        yn(v->has_available, v->available),
        v->has_active_jobs ? jobs : "",
        v->has_last_seen ? tr_cli_fmt_age(now_ms - v->last_seen, seen, sizeof seen) : "",
    };
    return tr_cli_table_add(t, row);
}
