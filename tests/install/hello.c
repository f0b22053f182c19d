/* A C user's hello-world, built by test_install.sh with only
   `pkg-config --cflags --libs utrace-client-c`: connect, hello, print the daemon's identity. */
#include <stdio.h>

#include <utrace/client.h>

int main(int argc, char **argv) {
  utrace_error err;
  utrace_client *c = utrace_connect(argc > 1 ? argv[1] : NULL, &err);
  if (!c) {
    fprintf(stderr, "hello_c: %s\n", err.message);
    return 1;
  }
  utrace_hello_info info;
  if (utrace_hello(c, "hello_c", &info) < 0) {
    fprintf(stderr, "hello_c: %s\n", utrace_last_error(c)->message);
    utrace_close(c);
    return 1;
  }
  printf("%s %s protocol %d (library %s)\n", info.server, info.version, info.protocol,
         utrace_library_version());
  utrace_close(c);
  return 0;
}
