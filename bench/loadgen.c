/* loadgen: a small open-loop HTTP/1.1 load generator (epoll, no dependencies).
 *
 *   loadgen --host 127.0.0.1 --port P --path /v1/chat/completions --body-file F \
 *           --rate R (--duration S | --requests N) --connections C [--warmup S] [--header H]
 *   loadgen ... --path /v1/models --method GET ...      (no body)
 *
 * Sends POST requests (Content-Type: application/json, the body from F), or GET requests,
 * with any extra --header lines, over C keep-alive connections. Open loop: request i is due at start + i/R whatever happened to earlier ones,
 * and its latency runs from that due time, not from when it could be sent, to the end of its
 * response, so a server that falls behind shows the queueing it causes ("coordinated
 * omission" corrected, as in wrk2). A due request goes out on any idle connection, or waits
 * for one. --rate 0 is a closed loop instead (with --requests): every connection sends its
 * next request as soon as the last one has answered, latency from the send.
 *
 * The first --warmup seconds of requests (rate > 0) are sent but not measured. In duration
 * mode no request is sent after warm-up + duration, and requests still out then get 10 s to
 * finish. Responses are framed by Content-Length or chunked transfer-encoding; non-2xx
 * statuses, broken connections and requests abandoned at the end count as errors. Prints one
 * JSON line: rate, sent, ok, errors, achieved_rps (2xx answers per second of the measured
 * span) and the p50, p90, p99 and max latency in ms of the measured answers.
 *
 *   gcc -O2 -o loadgen bench/loadgen.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define NS 1000000000LL
#define STALL_NS (30 * NS) /* give up when requests are out and nothing answered for this long */
#define DRAIN_NS (10 * NS) /* duration mode: time left to requests still out at the end */

typedef struct {
    int fd;
    int busy;         /* a request is out on it */
    int measured;     /* that request is past the warm-up */
    int want_out;     /* registered for EPOLLOUT (request not fully written) */
    int64_t due;      /* when the request was due: its latency starts here, ns */
    size_t written;   /* bytes of the request written so far */
    char *buf;        /* response bytes read so far, NUL-terminated */
    size_t len, cap;
} Conn;

static struct addrinfo *addr;
static char *request;
static size_t request_len;
static Conn **idle; /* a stack of the idle connections */
static int nidle, epfd;
static double *lat; /* latencies of measured answers, ms */
static size_t nlat, caplat;
static long long sent, ok, errors, inflight;
static int64_t last_done, last_progress;

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * NS + ts.tv_nsec;
}

static void die(const char *what) { perror(what); exit(1); }

static void watch(Conn *c, int out) {
    struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c};
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) die("epoll_ctl");
    c->want_out = out;
}

/* Connects (blocking: it is quick on loopback), then makes the socket non-blocking. */
static void open_conn(Conn *c) {
    int one = 1;
    c->fd = socket(addr->ai_family, SOCK_STREAM, 0);
    if (c->fd < 0 || connect(c->fd, addr->ai_addr, addr->ai_addrlen) < 0) die("connect");
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(c->fd, F_SETFL, O_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) die("epoll_ctl");
    c->busy = c->want_out = 0;
    c->len = 0;
}

static void reopen(Conn *c) { close(c->fd); open_conn(c); } /* close also leaves epoll */

/* The request on c has ended (answered, or failed when good < 0): records it, frees c. */
static void finish(Conn *c, int good) {
    int64_t t = now_ns();
    if (c->measured) {
        if (nlat == caplat && !(lat = realloc(lat, (caplat = caplat ? 2 * caplat : 65536) * sizeof *lat)))
            die("realloc");
        if (good >= 0) lat[nlat++] = (t - c->due) / 1e6;
        if (good > 0) ok++; else errors++;
        last_done = t;
    }
    last_progress = t;
    c->busy = 0;
    inflight--;
    idle[nidle++] = c;
}

static void fail(Conn *c) { finish(c, -1); reopen(c); }

/* Writes what the socket takes of the request; asks for EPOLLOUT if it is full. */
static void flush(Conn *c) {
    while (c->written < request_len) {
        ssize_t n = send(c->fd, request + c->written, request_len - c->written, MSG_NOSIGNAL);
        if (n > 0) { c->written += n; continue; }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) { if (!c->want_out) watch(c, 1); return; }
        fail(c);
        return;
    }
    if (c->want_out) watch(c, 0);
}

/* Does the header line [line, eol) named `name` contain `word` (case-insensitive)? */
static int header_has(const char *line, const char *eol, const char *name, const char *word) {
    char value[256];
    size_t n = strlen(name), len = eol - line;
    if (len <= n || len >= sizeof value || strncasecmp(line, name, n)) return 0;
    memcpy(value, line + n, len - n);
    value[len - n] = 0;
    return strcasestr(value, word) != NULL;
}

/* Length of the complete response at the start of b (NUL-terminated): 0 while more bytes are
 * needed, -1 if it cannot be framed. Sets *status and *closing (Connection: close). */
static long parse(const char *b, size_t len, int *status, int *closing) {
    const char *end = memmem(b, len, "\r\n\r\n", 4), *line, *eol;
    long head, clen = -1, p;
    int chunked = 0;
    if (!end) return 0;
    head = end - b + 4;
    if (sscanf(b, "HTTP/1.%*d %d", status) != 1) return -1;
    *closing = 0;
    for (line = strstr(b, "\r\n") + 2; line < end; line = eol + 2) {
        eol = strstr(line, "\r\n");
        if (!strncasecmp(line, "content-length:", 15)) clen = strtol(line + 15, NULL, 10);
        chunked |= header_has(line, eol, "transfer-encoding:", "chunked");
        *closing |= header_has(line, eol, "connection:", "close");
    }
    if (*status == 204 || *status == 304) return head;
    if (!chunked) return clen < 0 ? -1 : (long)len >= head + clen ? head + clen : 0;
    for (p = head;;) { /* chunks: "SIZE-in-hex\r\n" DATA "\r\n" ..., "0\r\n", trailers, "\r\n" */
        const char *crlf = memmem(b + p, len - p, "\r\n", 2);
        if (!crlf) return 0;
        long size = strtol(b + p, NULL, 16);
        p = crlf - b + 2;
        if (size == 0) {
            if ((long)len >= p + 2 && !memcmp(b + p, "\r\n", 2)) return p + 2;
            const char *trailers = memmem(b + p, len - p, "\r\n\r\n", 4);
            return trailers ? trailers - b + 4 : 0;
        }
        if ((long)len < p + size + 2) return 0;
        p += size + 2;
    }
}

/* Reads what arrived on c and ends its request once the response is complete. */
static void on_readable(Conn *c) {
    int closed = 0, status = 0, closing = 0;
    for (;;) {
        if (c->cap - c->len < 4096 && !(c->buf = realloc(c->buf, (c->cap *= 2) + 1))) die("realloc");
        ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
        if (n > 0) { c->len += n; continue; }
        closed = !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)); /* EOF or error */
        break;
    }
    c->buf[c->len] = 0;
    if (c->busy) { /* the response may be complete even when the server closed after it */
        long n = parse(c->buf, c->len, &status, &closing);
        if (n > 0) { finish(c, status >= 200 && status < 300); c->len = 0; }
        else if (n < 0 || closed) { fail(c); return; }
    } else c->len = 0; /* nothing was asked: ignore */
    if (closed || closing) reopen(c);
}

static void usage(void) {
    fprintf(stderr, "usage: loadgen --host H --port P --path PATH (--body-file F | --method GET) --rate R "
                    "(--duration S | --requests N) --connections C [--warmup S] [--header 'Name: value']\n");
    exit(2);
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(double p) { /* nearest rank */
    if (!nlat) return 0;
    size_t k = (size_t)(p / 100 * nlat + 0.999999);
    return lat[k ? k - 1 : 0];
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1", *port = NULL, *path = "/", *body_file = NULL, *method = "POST", *header = NULL;
    double rate = -1, duration = 0, warmup = 0;
    long long requests = 0;
    int nconns = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[++i] : (usage(), "");
        if (!strcmp(a, "--host")) host = v;
        else if (!strcmp(a, "--port")) port = v;
        else if (!strcmp(a, "--path")) path = v;
        else if (!strcmp(a, "--body-file")) body_file = v;
        else if (!strcmp(a, "--rate")) rate = atof(v);
        else if (!strcmp(a, "--duration")) duration = atof(v);
        else if (!strcmp(a, "--requests")) requests = atoll(v);
        else if (!strcmp(a, "--connections")) nconns = atoi(v);
        else if (!strcmp(a, "--warmup")) warmup = atof(v);
        else if (!strcmp(a, "--method")) method = v;
        else if (!strcmp(a, "--header")) header = v;
        else usage();
    }
    int get = !strcmp(method, "GET");
    if (!port || (!body_file && !get) || rate < 0 || nconns < 1 || (requests > 0) == (duration > 0) || (rate == 0 && !requests))
        usage();

    /* The request, built once: headers, then the body file (none for GET). */
    const char *extra = header ? header : "";
    const char *extra_end = header ? "\r\n" : "";
    if (get) {
        request = malloc(strlen(path) + strlen(host) + strlen(port) + strlen(extra) + 128);
        request_len = sprintf(request, "GET %s HTTP/1.1\r\nHost: %s:%s\r\n%s%s\r\n", path, host, port, extra, extra_end);
    } else {
        FILE *f = fopen(body_file, "rb");
        if (!f) die(body_file);
        fseek(f, 0, SEEK_END);
        long body_len = ftell(f);
        rewind(f);
        request = malloc(body_len + strlen(path) + strlen(host) + strlen(port) + strlen(extra) + 256);
        request_len = sprintf(request, "%s %s HTTP/1.1\r\nHost: %s:%s\r\nContent-Type: application/json\r\n%s%s"
                                       "Content-Length: %ld\r\n\r\n", method, path, host, port, extra, extra_end, body_len);
        if (fread(request + request_len, 1, body_len, f) != (size_t)body_len) die("read body");
        request_len += body_len;
        fclose(f);
    }

    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    int gai = getaddrinfo(host, port, &hints, &addr);
    if (gai) { fprintf(stderr, "%s: %s\n", host, gai_strerror(gai)); return 1; }
    signal(SIGPIPE, SIG_IGN);
    prctl(PR_SET_TIMERSLACK, 1UL); /* wake for due requests within ~1 µs, not 50 µs */
    if ((epfd = epoll_create1(0)) < 0) die("epoll_create1");
    int timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    struct epoll_event tev = {.events = EPOLLIN, .data.ptr = NULL};
    if (timer < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, timer, &tev) < 0) die("timerfd");
    Conn *conns = calloc(nconns, sizeof *conns);
    idle = calloc(nconns, sizeof *idle);
    for (int i = 0; i < nconns; i++) {
        conns[i].buf = malloc((conns[i].cap = 16384) + 1);
        open_conn(&conns[i]);
        idle[nidle++] = &conns[i];
    }

    /* The timeline: request i is due at start + i * interval (closed loop: interval 0). */
    int64_t interval = rate > 0 ? (int64_t)(NS / rate) : 0, armed = -1;
    long long warm = rate > 0 ? (long long)(warmup * rate) : 0, next = 0;
    long long total = warm + (requests ? requests : (long long)(duration * rate));
    int64_t start = now_ns(), measure_start = start + warm * interval;
    int64_t deadline = requests ? INT64_MAX : start + (int64_t)((warmup + duration) * NS);
    last_progress = start;
    struct epoll_event events[64];
    for (;;) {
        int64_t t = now_ns();
        /* Send every due request that finds an idle connection; the others wait for one. */
        while (next < total && nidle && t < deadline && (!interval || start + next * interval <= t)) {
            Conn *c = idle[--nidle];
            c->busy = 1;
            c->measured = next >= warm;
            c->due = interval ? start + next * interval : t;
            c->written = 0;
            c->len = 0;
            next++;
            inflight++;
            if (c->measured) sent++;
            flush(c);
        }
        int sending = next < total && t < deadline;
        if (!sending && !inflight) break;
        if ((!sending && t >= deadline && t - deadline > DRAIN_NS) || (inflight && t - last_progress > STALL_NS)) {
            for (int i = 0; i < nconns; i++) /* abandoned: errors */
                if (conns[i].busy && conns[i].measured) errors++;
            fprintf(stderr, "loadgen: %lld requests did not finish\n", inflight);
            break;
        }
        /* Wake when the next request is due (if it waits for time rather than a connection). */
        if (interval && sending && nidle && start + next * interval != armed) {
            armed = start + next * interval;
            struct itimerspec its = {.it_value = {armed / NS, armed % NS}};
            timerfd_settime(timer, TFD_TIMER_ABSTIME, &its, NULL);
        }
        int n = epoll_wait(epfd, events, 64, 1000);
        if (n < 0 && errno != EINTR) die("epoll_wait");
        for (int i = 0; i < n; i++) {
            Conn *c = events[i].data.ptr;
            if (!c) { uint64_t expirations; if (read(timer, &expirations, sizeof expirations)) {} continue; }
            if ((events[i].events & EPOLLOUT) && c->busy) flush(c);
            if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(c);
        }
    }

    qsort(lat, nlat, sizeof *lat, cmp);
    double span = (last_done > measure_start ? last_done - measure_start : 1) / 1e9;
    if (!requests && span < duration) span = duration;
    printf("{\"rate\": %g, \"sent\": %lld, \"ok\": %lld, \"errors\": %lld, \"achieved_rps\": %.1f, "
           "\"p50_ms\": %.3f, \"p90_ms\": %.3f, \"p99_ms\": %.3f, \"max_ms\": %.3f}\n",
           rate, sent, ok, errors, ok / span, pct(50), pct(90), pct(99), nlat ? lat[nlat - 1] : 0.0);
    return 0;
}
