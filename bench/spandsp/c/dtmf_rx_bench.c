/*
 * dtmf_rx_bench: times spandsp's DTMF receiver (dtmf_rx) alone over one
 * audio file, the C half of the side-by-side comparison that
 * bench/spandsp/run.sh runs (bench/spandsp/README.md holds the figures).
 *
 *   dtmf_rx_bench [-min-cpu 1s] [-block 160] FILE
 *
 * FILE is a WAV file of 16-bit PCM, mono, 8000 Hz, or headerless signed
 * 16-bit little-endian mono PCM at 8000 Hz (any file that does not start
 * with "RIFF"). dtmf_rx works at 8000 Hz only (its Goertzel coefficients
 * and 102-sample block are fixed for that rate), so other rates are refused.
 *
 * The receiver runs with spandsp's defaults: dtmf_rx_init with a digits
 * callback and no dtmf_rx_parms call. The "settings" line prints them as
 * the state holds them after dtmf_rx_init.
 *
 * Timing: after one warm-up pass, passes over the whole file follow until
 * their thread CPU time (CLOCK_THREAD_CPUTIME_ID) reaches -min-cpu. A pass
 * feeds the file to dtmf_rx in blocks of -block samples (the last one
 * shorter); only those calls are timed, on CLOCK_THREAD_CPUTIME_ID and
 * CLOCK_MONOTONIC. dtmf_rx_init between passes is not. The output has the
 * same lines, in the same format, as the Go driver (../gorx), and "digits"
 * lists what one pass heard; every pass must hear the same, or it fails.
 *
 * Build: cc -O2 -o dtmf_rx_bench dtmf_rx_bench.c $(pkg-config --cflags --libs spandsp) -lm
 */
#define _POSIX_C_SOURCE 200809L
#define SPANDSP_EXPOSE_INTERNAL_STRUCTURES /* to print the default settings */

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <spandsp.h>

#define RATE 8000
#define MAX_HEARD 65536

struct heard
{
    char digits[MAX_HEARD + 1];
    size_t n;
    size_t lost;
};

static void on_digits(void *user_data, const char *digits, int len)
{
    struct heard *h = user_data;
    int i;

    for (i = 0; i < len; i++)
    {
        if (h->n < MAX_HEARD)
            h->digits[h->n++] = digits[i];
        else
            h->lost++;
    }
    h->digits[h->n] = '\0';
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static uint16_t le16(const unsigned char *p)
{
    return (uint16_t) (p[0] | p[1] << 8);
}

static unsigned char *read_whole(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t cap = 0;
    size_t n = 0;

    if (f == NULL)
    {
        fprintf(stderr, "dtmf_rx_bench: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    for (;;)
    {
        if (n == cap)
        {
            unsigned char *nb;

            cap = cap ? 2 * cap : 1 << 20;
            if ((nb = realloc(buf, cap)) == NULL)
            {
                fprintf(stderr, "dtmf_rx_bench: %s: out of memory\n", path);
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f))
    {
        fprintf(stderr, "dtmf_rx_bench: %s: read error\n", path);
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *size = n;
    return buf;
}

/* load_pcm reads FILE into *pcm (malloc'd) and returns the sample count,
   or -1 after printing why not. */
static long load_pcm(const char *path, int16_t **pcm)
{
    size_t size;
    unsigned char *raw = read_whole(path, &size);
    const unsigned char *data;
    size_t bytes;
    size_t i;

    if (raw == NULL)
        return -1;
    if (size >= 12 && memcmp(raw, "RIFF", 4) == 0)
    {
        size_t off = 12;
        int have_fmt = 0;

        if (memcmp(raw + 8, "WAVE", 4) != 0)
        {
            fprintf(stderr, "dtmf_rx_bench: %s: RIFF but not WAVE\n", path);
            free(raw);
            return -1;
        }
        data = NULL;
        bytes = 0;
        while (off + 8 <= size)
        {
            const unsigned char *id = raw + off;
            size_t len = le32(raw + off + 4);
            const unsigned char *body = raw + off + 8;
            size_t avail = size - off - 8;

            if (memcmp(id, "fmt ", 4) == 0)
            {
                unsigned tag, channels, bits;
                unsigned long rate;

                if (len < 16 || avail < 16)
                {
                    fprintf(stderr, "dtmf_rx_bench: %s: short fmt chunk\n", path);
                    free(raw);
                    return -1;
                }
                tag = le16(body);
                channels = le16(body + 2);
                rate = le32(body + 4);
                bits = le16(body + 14);
                if ((tag != 1 && tag != 0xFFFE) || channels != 1 || bits != 16)
                {
                    fprintf(stderr, "dtmf_rx_bench: %s: format tag %u, %u channels, %u bits: "
                            "only 16-bit PCM mono is read\n", path, tag, channels, bits);
                    free(raw);
                    return -1;
                }
                if (rate != RATE)
                {
                    fprintf(stderr, "dtmf_rx_bench: %s: %lu Hz: spandsp's dtmf_rx works at %d Hz only\n",
                            path, rate, RATE);
                    free(raw);
                    return -1;
                }
                have_fmt = 1;
            }
            else if (memcmp(id, "data", 4) == 0)
            {
                data = body;
                bytes = len < avail ? len : avail; /* a streamed file may claim more */
                break;
            }
            if (len > avail)
                break;
            off += 8 + len + (len & 1);
        }
        if (!have_fmt || data == NULL)
        {
            fprintf(stderr, "dtmf_rx_bench: %s: no %s chunk\n", path, have_fmt ? "data" : "fmt");
            free(raw);
            return -1;
        }
    }
    else
    {
        data = raw;
        bytes = size;
        if (bytes % 2 != 0)
        {
            fprintf(stderr, "dtmf_rx_bench: %s: raw PCM of %zu bytes, not a whole number of 16-bit samples\n",
                    path, bytes);
            free(raw);
            return -1;
        }
    }
    bytes -= bytes % 2;
    *pcm = malloc(bytes ? bytes : 2);
    if (*pcm == NULL)
    {
        fprintf(stderr, "dtmf_rx_bench: %s: out of memory\n", path);
        free(raw);
        return -1;
    }
    for (i = 0; i < bytes / 2; i++)
        (*pcm)[i] = (int16_t) le16(data + 2 * i);
    free(raw);
    return (long) (bytes / 2);
}

static double seconds(clockid_t clk)
{
    struct timespec ts;

    if (clock_gettime(clk, &ts) != 0)
    {
        perror("dtmf_rx_bench: clock_gettime");
        exit(1);
    }
    return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

/* pass runs one dtmf_rx over the whole of pcm and adds its times. */
static void pass(dtmf_rx_state_t *s, struct heard *h, const int16_t *pcm, long n, int block,
                 double *cpu, double *wall)
{
    double c0, w0;
    long i;

    h->n = 0;
    h->lost = 0;
    h->digits[0] = '\0';
    dtmf_rx_init(s, on_digits, h);
    c0 = seconds(CLOCK_THREAD_CPUTIME_ID);
    w0 = seconds(CLOCK_MONOTONIC);
    for (i = 0; i < n; i += block)
        dtmf_rx(s, pcm + i, (int) (n - i < block ? n - i : block));
    *wall += seconds(CLOCK_MONOTONIC) - w0;
    *cpu += seconds(CLOCK_THREAD_CPUTIME_ID) - c0;
}

static void usage(void)
{
    fprintf(stderr, "usage: dtmf_rx_bench [-min-cpu 1s] [-block 160] FILE\n");
    exit(2);
}

int main(int argc, char **argv)
{
    double min_cpu = 1.0;
    long block = 160;
    const char *path = NULL;
    int16_t *pcm;
    long n;
    int i;
    dtmf_rx_state_t *s;
    static struct heard warm, h; /* static: 64 KiB each, off the stack */
    double cpu = 0, wall = 0, dummy_cpu = 0, dummy_wall = 0;
    long passes = 0;

    for (i = 1; i < argc; i++)
    {
        char *end;

        if (strcmp(argv[i], "-min-cpu") == 0 && i + 1 < argc)
        {
            min_cpu = strtod(argv[++i], &end);
            if (end == argv[i] || (*end != '\0' && strcmp(end, "s") != 0) || !(min_cpu > 0))
            {
                fprintf(stderr, "dtmf_rx_bench: -min-cpu %s: want seconds, e.g. 1s\n", argv[i]);
                return 2;
            }
        }
        else if (strcmp(argv[i], "-block") == 0 && i + 1 < argc)
        {
            block = strtol(argv[++i], &end, 10);
            if (*end != '\0' || block < 1 || block > 1 << 20)
            {
                fprintf(stderr, "dtmf_rx_bench: -block %s: want a sample count from 1\n", argv[i]);
                return 2;
            }
        }
        else if (argv[i][0] == '-' || path != NULL)
            usage();
        else
            path = argv[i];
    }
    if (path == NULL)
        usage();
    if ((n = load_pcm(path, &pcm)) < 0)
        return 1;
    if (n == 0)
    {
        fprintf(stderr, "dtmf_rx_bench: %s: no samples\n", path);
        return 1;
    }
    if ((s = dtmf_rx_init(NULL, on_digits, &warm)) == NULL)
    {
        fprintf(stderr, "dtmf_rx_bench: dtmf_rx_init failed\n");
        return 1;
    }

    pass(s, &warm, pcm, n, (int) block, &dummy_cpu, &dummy_wall);
    while (cpu < min_cpu)
    {
        pass(s, &h, pcm, n, (int) block, &cpu, &wall);
        passes++;
        if (h.n != warm.n || strcmp(h.digits, warm.digits) != 0)
        {
            fprintf(stderr, "dtmf_rx_bench: pass %ld heard \"%s\", the warm-up pass \"%s\"\n",
                    passes, h.digits, warm.digits);
            return 1;
        }
    }
    if (warm.lost)
        fprintf(stderr, "dtmf_rx_bench: %zu digits beyond the first %d not shown\n", warm.lost, MAX_HEARD);

    /* The state after dtmf_rx_init holds the defaults. The threshold is a
       Goertzel power over a 102-sample block; spandsp's dtmf.c derives it
       from dBm0 as ((102*32768/1.4142)*10^((dBm0 - DBM0_MAX_SINE_POWER)/20))^2,
       inverted here. A full-scale sine is DBM0_MAX_SINE_POWER (3.14) dBm0. */
    dtmf_rx_init(s, on_digits, &h);
    {
        double th_dbm0 = 20.0 * log10(sqrt((double) s->threshold) / (102.0 * 32768.0 / 1.4142))
                         + DBM0_MAX_SINE_POWER;

        printf("detector   spandsp dtmf_rx, defaults\n");
        printf("settings   filter_dialtone=%d normal_twist=%.1fdB reverse_twist=%.1fdB "
               "threshold=%.1fdBm0 (%.1f dBFS per tone)\n",
               s->filter_dialtone, 10.0 * log10(s->normal_twist), 10.0 * log10(s->reverse_twist),
               th_dbm0, th_dbm0 - DBM0_MAX_SINE_POWER);
    }
    printf("file       %s: %d Hz, %ld samples (%.1f s)\n", path, RATE, n, (double) n / RATE);
    printf("passes     %ld after 1 warm-up, blocks of %ld samples\n", passes, block);
    printf("time       %.3f s thread CPU, %.3f s wall\n", cpu, wall);
    printf("samples/s  %.4g cpu %.4g wall\n", (double) n * passes / cpu, (double) n * passes / wall);
    printf("realtime   %.0f cpu %.0f wall\n", (double) n * passes / cpu / RATE, (double) n * passes / wall / RATE);
    printf("digits     %zu %s\n", warm.n, warm.digits);
    dtmf_rx_free(s);
    free(pcm);
    return 0;
}
