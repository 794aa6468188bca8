/*
 * The host-secrets bench's load generator: every source address on stdin sends one request on its
 * own new connection, `concurrency` in flight, and reads the answer to EOF. It shares the
 * machine's 2 cores with the gateway (the floor has no client at all), so it is a single
 * epoll loop doing only the system calls a request needs; the Node side verifies what it wrote.
 *
 *   loadgen <server-ip> <port> <concurrency> <out-file> <request>   (source addresses on stdin)
 *
 * out-file, per address in stdin's order: "<status> <latency ns> <body bytes>\n<body>"; status 0
 * when the exchange failed, the body then says how. stdout: "<elapsed ns> <cpu µs>", both over
 * the requests alone (reading stdin and writing out-file excluded).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct result {
  int status;
  uint64_t latency_ns;
  char *response; /* the whole response, or the failure's message */
  size_t length;
};

struct slot {
  int fd;
  size_t request_index;
  uint64_t started_ns;
  int sent;
  char *buffer;
  size_t length, capacity;
};

static struct sockaddr_in server;
static const char *request;
static size_t request_length;
static struct in_addr *sources;
static struct result *results;
static size_t request_count, next_request, finished;
static int epoll_fd;

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static uint64_t cpu_us(void) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return (uint64_t)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000u + (uint64_t)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

static void *must_alloc(void *p) {
  if (!p) {
    perror("loadgen: out of memory");
    exit(2);
  }
  return p;
}

static void record(struct slot *slot, int status, char *response, size_t length) {
  struct result *r = &results[slot->request_index];
  r->status = status;
  r->latency_ns = now_ns() - slot->started_ns;
  r->response = response;
  r->length = length;
  finished++;
}

static void fail(struct slot *slot, const char *step, int error) {
  char *message = must_alloc(malloc(128));
  record(slot, 0, message, (size_t)snprintf(message, 128, "%s: %s", step, strerror(error)));
  if (slot->fd >= 0) close(slot->fd);
  slot->fd = -1;
}

/* Writes the request when connected; a connection still being made is left to its writable event, a failed one (refused, reset) is recorded. */
static void send_request(struct slot *slot) {
  ssize_t written = write(slot->fd, request, request_length);
  if (written == (ssize_t)request_length) { slot->sent = 1; return; }
  if (written < 0 && (errno == EAGAIN || errno == ENOTCONN)) return;
  fail(slot, "write", written < 0 ? errno : EMSGSIZE);
}

/* Opens the next request's connection in this slot, from its host's address; the slot stays empty when none are left. */
static void start(struct slot *slot) {
  while (next_request < request_count) {
    slot->request_index = next_request++;
    slot->started_ns = now_ns();
    slot->sent = 0;
    slot->length = 0;
    slot->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (slot->fd < 0) { fail(slot, "socket", errno); continue; }
    // The port is picked at connect(), per (source, destination) pair, rather than at bind() from the source's whole range.
    int one = 1;
    setsockopt(slot->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    struct sockaddr_in local = { .sin_family = AF_INET, .sin_addr = sources[slot->request_index] };
    if (bind(slot->fd, (struct sockaddr *)&local, sizeof local) < 0) { fail(slot, "bind", errno); continue; }
    if (connect(slot->fd, (struct sockaddr *)&server, sizeof server) < 0 && errno != EINPROGRESS) { fail(slot, "connect", errno); continue; }
    // On loopback the handshake has usually completed by now: the request goes at once, and the
    // loop waits for writability only when it has not.
    send_request(slot);
    if (slot->fd < 0) continue;
    // Edge-triggered: one event when connected (writable) if still waiting, then one per arrival of data or EOF.
    struct epoll_event event = { .events = EPOLLIN | EPOLLET | (slot->sent ? 0 : EPOLLOUT), .data.ptr = slot };
    if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, slot->fd, &event) < 0) { fail(slot, "epoll_ctl", errno); continue; }
    return;
  }
  slot->fd = -1;
}

/* Reads what has arrived; at EOF the response is recorded, the buffer handed over with it. */
static void read_response(struct slot *slot) {
  for (;;) {
    if (slot->capacity - slot->length < 4096) {
      slot->capacity *= 2;
      slot->buffer = must_alloc(realloc(slot->buffer, slot->capacity));
    }
    ssize_t got = read(slot->fd, slot->buffer + slot->length, slot->capacity - slot->length);
    if (got > 0) { slot->length += (size_t)got; continue; }
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && errno == EAGAIN) return;
    if (got < 0) { fail(slot, "read", errno); return; }
    int status = 0;
    if (slot->length >= 12 && memcmp(slot->buffer, "HTTP/1.1 ", 9) == 0) status = atoi(slot->buffer + 9);
    close(slot->fd);
    slot->fd = -1;
    record(slot, status, slot->buffer, slot->length);
    slot->capacity = 8192;
    slot->buffer = must_alloc(malloc(slot->capacity));
    return;
  }
}

static void read_sources(void) {
  size_t capacity = 1024;
  sources = must_alloc(malloc(capacity * sizeof *sources));
  char line[64];
  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\r\n")] = 0;
    if (!*line) continue;
    if (request_count == capacity) sources = must_alloc(realloc(sources, (capacity *= 2) * sizeof *sources));
    if (inet_pton(AF_INET, line, &sources[request_count++]) != 1) {
      fprintf(stderr, "loadgen: not an IPv4 address: %s\n", line);
      exit(2);
    }
  }
}

/* The body: what follows the header's blank line (the whole text when there is none, e.g. a failure's message). */
static void write_results(const char *file) {
  FILE *out = fopen(file, "wb");
  if (!out) { perror(file); exit(2); }
  for (size_t i = 0; i < request_count; i++) {
    struct result *r = &results[i];
    const char *body = r->response;
    size_t length = r->length;
    const char *end_of_header = r->status ? memmem(r->response, r->length, "\r\n\r\n", 4) : NULL;
    if (end_of_header) {
      body = end_of_header + 4;
      length = r->length - (size_t)(body - r->response);
    }
    fprintf(out, "%d %llu %zu\n", r->status, (unsigned long long)r->latency_ns, length);
    fwrite(body, 1, length, out);
  }
  if (fclose(out) != 0) { perror(file); exit(2); }
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: loadgen <server-ip> <port> <concurrency> <out-file> <request>  (source addresses on stdin)\n");
    return 2;
  }
  server.sin_family = AF_INET;
  server.sin_port = htons((uint16_t)atoi(argv[2]));
  if (inet_pton(AF_INET, argv[1], &server.sin_addr) != 1) { fprintf(stderr, "loadgen: bad server address %s\n", argv[1]); return 2; }
  size_t concurrency = (size_t)atoi(argv[3]);
  if (concurrency < 1) { fprintf(stderr, "loadgen: concurrency must be at least 1\n"); return 2; }
  request = argv[5];
  request_length = strlen(request);
  read_sources();
  results = must_alloc(calloc(request_count ? request_count : 1, sizeof *results));
  epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) { perror("epoll_create1"); return 2; }
  if (concurrency > request_count) concurrency = request_count;
  struct slot *slots = must_alloc(calloc(concurrency ? concurrency : 1, sizeof *slots));
  struct epoll_event events[64];

  uint64_t cpu_at_start = cpu_us(), started = now_ns();
  for (size_t i = 0; i < concurrency; i++) {
    slots[i].capacity = 8192;
    slots[i].buffer = must_alloc(malloc(slots[i].capacity));
    start(&slots[i]);
  }
  while (finished < request_count) {
    int ready = epoll_wait(epoll_fd, events, 64, -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) { perror("epoll_wait"); return 2; }
    for (int i = 0; i < ready; i++) {
      struct slot *slot = events[i].data.ptr;
      if (!slot->sent) send_request(slot);
      if (slot->fd >= 0 && slot->sent && (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) read_response(slot);
      if (slot->fd < 0) start(slot);
    }
  }
  uint64_t elapsed = now_ns() - started, cpu = cpu_us() - cpu_at_start;

  write_results(argv[4]);
  printf("%llu %llu\n", (unsigned long long)elapsed, (unsigned long long)cpu);
  return 0;
}
