/*
 * dispatcher/store/store_schema.c: the schema, as ordered migration steps.
 *
 * What it does: list, for each of the two files, the DDL that takes a
 * database from version N-1 to N (PRAGMA user_version). A new version is a
 * new step appended here; a step is never edited once released, because
 * databases made by it exist (tests/unit/test_store.c keeps a frozen copy of
 * v1 and migrates it).
 *
 * What it does not do: run them (store.c does, in one transaction).
 *
 * Choices:
 *   - Skills: the dictionary table `skill` maps each name to a bit 0..63,
 *     assigned on first use and never reassigned; a contractor stores its
 *     skills as that 64-bit mask, the very form the in-memory fleet index
 *     uses, so loading a million contractors needs no join, and each name is
 *     stored once. A job stores its required skills as text (space
 *     separated): a request may name a skill nobody has, which must not use
 *     up one of the 64 bits.
 *   - Languages: BCP-47 tags separated by one space, in the given order.
 *     They are matched by prefix (es matches es-MX) in memory, never by an
 *     index, so a join table would buy nothing.
 *   - Absent optional fields are NULL, so a record reads back exactly as it
 *     was given (has_x false), and the default is filled in on reading.
 *   - One pending offer per job and a contractor's active jobs are
 *     enforced/indexed by partial indexes; the event log is append-only by
 *     triggers; outbox ids use AUTOINCREMENT so an id is never reused after
 *     deletes (the publisher's cursor depends on it).
 */
#include "dispatcher/store/store_int.h"

/* v1: the initial schema. */
static const char main_v1[] =
    "CREATE TABLE skill ("
    " bit INTEGER PRIMARY KEY CHECK (bit BETWEEN 0 AND 63),"
    " name TEXT NOT NULL UNIQUE,"
    " created INTEGER NOT NULL);"
    "CREATE TABLE contractor ("
    " id INTEGER PRIMARY KEY,"
    " contractor_id TEXT NOT NULL UNIQUE,"
    " name TEXT NOT NULL,"
    " skills INTEGER NOT NULL,"
    " languages TEXT NOT NULL,"
    " tier INTEGER, travel_mode INTEGER, radius_km REAL, job_limit INTEGER,"
    " timezone TEXT NOT NULL,"
    " hours TEXT,"
    " pay_currency TEXT, pay_per_hour INTEGER, pay_per_incident INTEGER,"
    " home_lat REAL, home_lon REAL,"
    " active INTEGER,"
    " created INTEGER NOT NULL, updated INTEGER NOT NULL);"
    "CREATE TABLE job ("
    " id INTEGER PRIMARY KEY,"
    " job_id TEXT NOT NULL UNIQUE,"
    " state INTEGER NOT NULL CHECK (state BETWEEN 0 AND 9),"
    " title TEXT NOT NULL, description TEXT,"
    " skills TEXT NOT NULL, language TEXT, priority INTEGER, tier INTEGER,"
    " window_start INTEGER, window_end INTEGER,"
    " pay_currency TEXT, pay_per_hour INTEGER, pay_per_incident INTEGER,"
    " site_lat REAL NOT NULL, site_lon REAL NOT NULL, site_address TEXT, site_radius_m INTEGER,"
    " has_region INTEGER NOT NULL DEFAULT 0, country TEXT, region_state TEXT,"
    " state_fips TEXT, county_fips TEXT, county TEXT,"
    " max_radius_km REAL, relax_language INTEGER NOT NULL DEFAULT 0,"
    " assignee TEXT REFERENCES contractor(contractor_id),"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " reason TEXT,"
    " created INTEGER NOT NULL, updated INTEGER NOT NULL,"
    " CHECK (state NOT IN (2, 3, 4) OR assignee IS NOT NULL));"
    "CREATE INDEX job_assignee_active ON job(assignee) WHERE state IN (2, 3, 4);"
    "CREATE TABLE offer ("
    " id INTEGER PRIMARY KEY,"
    " offer_id TEXT NOT NULL UNIQUE,"
    " job INTEGER NOT NULL REFERENCES job(id),"
    " agent_id TEXT NOT NULL REFERENCES contractor(contractor_id),"
    " created INTEGER NOT NULL, deadline INTEGER NOT NULL,"
    " outcome INTEGER NOT NULL DEFAULT 0 CHECK (outcome BETWEEN 0 AND 4),"
    " decline_reason INTEGER, note TEXT, answered INTEGER);"
    "CREATE INDEX offer_job ON offer(job, id);"
    "CREATE UNIQUE INDEX offer_one_pending ON offer(job) WHERE outcome = 0;"
    "CREATE INDEX offer_agent_pending ON offer(agent_id) WHERE outcome = 0;"
    "CREATE INDEX offer_pending_deadline ON offer(deadline) WHERE outcome = 0;"
    "CREATE TABLE job_event ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " job INTEGER NOT NULL REFERENCES job(id),"
    " ts INTEGER NOT NULL, from_state INTEGER, to_state INTEGER NOT NULL,"
    " actor TEXT NOT NULL, note TEXT);"
    "CREATE INDEX job_event_job ON job_event(job, id);"
    "CREATE TRIGGER job_event_no_update BEFORE UPDATE ON job_event"
    " BEGIN SELECT RAISE(ABORT, 'job_event is append-only'); END;"
    "CREATE TRIGGER job_event_no_delete BEFORE DELETE ON job_event"
    " BEGIN SELECT RAISE(ABORT, 'job_event is append-only'); END;"
    "CREATE TABLE outbox ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " topic TEXT NOT NULL, payload BLOB NOT NULL,"
    " qos INTEGER NOT NULL CHECK (qos BETWEEN 0 AND 2),"
    " retain INTEGER NOT NULL CHECK (retain IN (0, 1)),"
    " created INTEGER NOT NULL);";

/*
 * v2: outbox rows get an expiry (an offer published after its deadline only
 * confuses the agent, and after a restart the publisher would otherwise send
 * every stale offer again; also the MQTT v5 message expiry), and job.list by
 * state / the open jobs at startup get an index instead of a table scan.
 */
static const char main_v2[] = "ALTER TABLE outbox ADD COLUMN expiry_at INTEGER;"
                              "CREATE INDEX job_state ON job(state, id);";

/*
 * v3: which console request made which job, in the job's own transaction,
 * so a request replayed after a crash (the receive journal) or retried by
 * a console finds its job however long ago it was made. Filled from the
 * first event of the jobs made before ("created by ACTOR (request ID)").
 */
static const char main_v3[] =
    "CREATE TABLE job_request ("
    " actor TEXT NOT NULL, request TEXT NOT NULL,"
    " job INTEGER NOT NULL REFERENCES job(id),"
    " PRIMARY KEY (actor, request)) WITHOUT ROWID;"
    "INSERT OR IGNORE INTO job_request (actor, request, job)"
    " SELECT actor, substr(note, instr(note, '(request ') + 9,"
    "  instr(substr(note, instr(note, '(request ') + 9), ')') - 1), job"
    " FROM job_event WHERE from_state IS NULL AND note LIKE 'created by %(request %)%';";

const struct tr_store_migration tr_store_main_migrations[] = {
    { 1, main_v1 },
    { 2, main_v2 },
    { 3, main_v3 },
};
const size_t tr_store_main_n_migrations =
    sizeof(tr_store_main_migrations) / sizeof(tr_store_main_migrations[0]);

/*
 * The positions file. History is a plain rowid table (append order =
 * receive order; no secondary index, so inserts stay cheap; retention works
 * on rowid ranges). last_position holds one row per (agent, boot): the
 * newest fix and so the highest seq, the dedupe high-water mark.
 * meta.folded_upto: the history rowid up to which last_position is current.
 */
static const char pos_v1[] = "CREATE TABLE pos_history ("
                             " agent_id TEXT NOT NULL, boot_id TEXT NOT NULL,"
                             " seq INTEGER NOT NULL, t INTEGER NOT NULL,"
                             " lat REAL NOT NULL, lon REAL NOT NULL, mode INTEGER NOT NULL,"
                             " acc REAL, speed REAL, heading REAL,"
                             " received INTEGER NOT NULL);"
                             "CREATE TABLE last_position ("
                             " agent_id TEXT NOT NULL, boot_id TEXT NOT NULL,"
                             " seq INTEGER NOT NULL, t INTEGER NOT NULL,"
                             " lat REAL NOT NULL, lon REAL NOT NULL, mode INTEGER NOT NULL,"
                             " acc REAL, speed REAL, heading REAL,"
                             " received INTEGER NOT NULL,"
                             " PRIMARY KEY (agent_id, boot_id)) WITHOUT ROWID;"
                             "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
                             "INSERT INTO meta VALUES ('folded_upto', 0);";

const struct tr_store_migration tr_store_pos_migrations[] = {
    { 1, pos_v1 },
};
const size_t tr_store_pos_n_migrations =
    sizeof(tr_store_pos_migrations) / sizeof(tr_store_pos_migrations[0]);
