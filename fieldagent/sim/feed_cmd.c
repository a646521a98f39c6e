/*
 * fieldagent/sim/feed_cmd.c: `truckroll-sim fleet` (write the demo roster
 * as contractor CSV) and `truckroll-sim jobs` (a paced feed of demo jobs
 * near a fleet's members, one tab-separated line each, for a loop around
 * `truckroll job create`). Options and output only; the content is
 * fleet_demo.c's.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fieldagent/sim/fleet.h"
#include "fieldagent/sim/sim.h"

static int whole(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v) || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static void fleet_usage(FILE *to)
{
    fputs("NAME\n"
          "    truckroll-sim fleet - write the demo fleet as a contractor CSV file\n"
          "\n"
          "SYNOPSIS\n"
          "    truckroll-sim fleet [--agents N] [--prefix ID] [--seed N]\n"
          "\n"
          "DESCRIPTION\n"
          "    Writes N contractors (default 36) to standard output in the CSV format of\n"
          "    `truckroll contractor import`: ids PREFIX-1 .. PREFIX-N (default prefix\n"
          "    \"demo\"), spread in turn over Travis (Austin), Dallas, Cook (Chicago), Los\n"
          "    Angeles, King (Seattle), Denver and New York counties, Madrid (ES) and\n"
          "    Munich (DE), each within ~6 km of the city centre; two or three skills of\n"
          "    router-repair, printer-setup, hdd-install, network-cabling, pos-terminal,\n"
          "    cctv; the area's language(s); the area's time zone; a quarter with hours\n"
          "    Mon-Fri 08:00-18:00 (local), the rest always on shift; travel by car,\n"
          "    motorcycle or bicycle; a 40 km service radius. The same seed gives the same\n"
          "    file. `truckroll-sim run --fleet` reads it back.\n"
          "\n"
          "EXIT STATUS\n"
          "    0, 1 on a write error, 2 for a usage error.\n",
          to);
}

int tr_sim_fleet_main(int argc, char **argv)
{
    static const struct option longopts[] = { { "agents", required_argument, NULL, 'n' },
                                              { "prefix", required_argument, NULL, 'p' },
                                              { "seed", required_argument, NULL, 's' },
                                              { "help", no_argument, NULL, 'h' },
                                              { NULL, 0, NULL, 0 } };
    double n = 36, seed = 1;
    const char *prefix = "demo";
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (whole(optarg, 1, 10000, &n) != 0 || n != floor(n)) {
                fprintf(stderr, "truckroll-sim fleet: --agents must be 1..10000\n");
                return 2;
            }
            break;
        case 'p':
            prefix = optarg;
            break;
        case 's':
            if (whole(optarg, 0, 9007199254740992.0, &seed) != 0 || seed != floor(seed)) {
                fprintf(stderr, "truckroll-sim fleet: --seed must be a whole number\n");
                return 2;
            }
            break;
        case 'h':
            fleet_usage(stdout);
            return 0;
        default:
            return 2;
        }
    }
    char probe[TR_MSG_ID_SIZE + 8];
    snprintf(probe, sizeof probe, "%s-10000", prefix);
    if (optind < argc || strlen(prefix) > 50 || !tr_msg_valid_agent_id(probe)) {
        fprintf(stderr, "truckroll-sim fleet: bad arguments (try --help)\n");
        return 2;
    }
    return tr_sim_fleet_write_demo(stdout, (size_t)n, prefix, (uint64_t)seed) == 0 ? 0 : 1;
}

static void jobs_usage(FILE *to)
{
    fputs("NAME\n"
          "    truckroll-sim jobs - a paced feed of demo jobs near a fleet\n"
          "\n"
          "SYNOPSIS\n"
          "    truckroll-sim jobs --fleet FILE.csv [--every S] [--count N] [--seed N]\n"
          "\n"
          "DESCRIPTION\n"
          "    Prints one job per line, every S seconds (default 2; 0: all at once), N jobs\n"
          "    (default 0: until killed), for a loop that creates them with the real\n"
          "    console, `truckroll job create`. Each job is within ~5 km of a random member\n"
          "    of the fleet file (contractor CSV, as for `truckroll-sim run`), needs one\n"
          "    skill that a member within 60 km has (about 1 in 15 needs elevator-repair,\n"
          "    which no demo member has: such jobs wait as unassigned), sometimes the area's\n"
          "    second language, and has a street address in the nearest demo city.\n"
          "\n"
          "OUTPUT\n"
          "    Tab-separated: LAT LON SKILL LANGUAGE (\"-\": any) PRIORITY TITLE ADDRESS,\n"
          "    e.g. (tabs shown as spaces)\n"
          "      30.281402 -97.712210 router-repair es high Router repair at a customer\n"
          "      812 Oak Ave, Austin TX\n"
          "    A loop that reads it:\n"
          "      truckroll-sim jobs --fleet fleet.csv | while IFS=$'\\t' read -r lat lon \\\n"
          "          skill lang prio title addr; do truckroll job create --lat \"$lat\" ...\n"
          "\n"
          "EXIT STATUS\n"
          "    0 after N jobs, 1 when the fleet file cannot be used, 2 usage.\n",
          to);
}

int tr_sim_jobs_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "fleet", required_argument, NULL, 'f' }, { "every", required_argument, NULL, 'e' },
        { "count", required_argument, NULL, 'c' }, { "seed", required_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },        { NULL, 0, NULL, 0 }
    };
    const char *path = NULL;
    double every = 2, count = 0, seed = 1;
    struct tr_sim_fleet f;
    struct tr_sim_rng rng;
    char err[512];
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            path = optarg;
            break;
        case 'e':
            if (whole(optarg, 0, 86400, &every) != 0) {
                fprintf(stderr, "truckroll-sim jobs: --every must be 0..86400 seconds\n");
                return 2;
            }
            break;
        case 'c':
            if (whole(optarg, 0, 1e12, &count) != 0 || count != floor(count)) {
                fprintf(stderr, "truckroll-sim jobs: --count must be a whole number\n");
                return 2;
            }
            break;
        case 's':
            if (whole(optarg, 0, 9007199254740992.0, &seed) != 0 || seed != floor(seed)) {
                fprintf(stderr, "truckroll-sim jobs: --seed must be a whole number\n");
                return 2;
            }
            break;
        case 'h':
            jobs_usage(stdout);
            return 0;
        default:
            return 2;
        }
    }
    if (optind < argc || !path) {
        fprintf(stderr, "truckroll-sim jobs: --fleet FILE is required (try --help)\n");
        return 2;
    }
    if (tr_sim_fleet_load(path, &f, err, sizeof err) != TR_SIM_FLEET_OK) {
        fprintf(stderr, "truckroll-sim jobs: --fleet %s: %s\n", path, err);
        return 1;
    }
    tr_sim_rng_seed(&rng, (uint64_t)seed);
    for (double i = 0; count == 0 || i < count; i++) {
        struct tr_sim_job j;
        if (i > 0 && every > 0) {
            struct timespec ts = { (time_t)every, (long)((every - floor(every)) * 1e9) };
            while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
            }
        }
        tr_sim_fleet_next_job(&f, &rng, &j);
        if (printf("%.6f\t%.6f\t%s\t%s\t%s\t%s\t%s\n", j.lat, j.lon, j.skill,
                   j.language[0] ? j.language : "-", j.priority, j.title, j.address) < 0 ||
            fflush(stdout) != 0)
            break; /* the reader went away */
    }
    tr_sim_fleet_free(&f);
    return 0;
}
