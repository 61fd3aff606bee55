/*
 * fuzz_msg.c -- fuzz target for the kernel's message decoding (kern_msg_decode), the code that
 * sees every byte a client sends. The input is split into frames at each 0x1E byte; the frames
 * are decoded once without a key (parsing reachable) and once with a key (signature path).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. tests/kernel/fuzz_msg.c \
 *         kernel/wire.c -ljansson -lcrypto -o build/fuzz_msg && build/fuzz_msg -max_total_time=60
 *
 * Built without -fsanitize=fuzzer (-DFUZZ_MAIN), it runs each file named on the command line
 * once: tests/kernel/run.sh does this with a small corpus under the sanitizers.
 */
#include "kernel/kernel.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void decode_with(kern_auth *auth, const kern_frame *frames, size_t n)
{
    kern_msg msg;
    char err[256];
    if (kern_msg_decode(auth, frames, n, &msg, err, sizeof err) == 0) {
        /* Touch what the server reads. */
        json_t *code = json_object_get(msg.content, "code");
        if (json_is_string(code)) (void)strlen(json_string_value(code));
        (void)strlen(msg.msg_type);
    }
    kern_msg_free(&msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static kern_auth *open_auth, *keyed_auth;
    if (!open_auth) {
        char err[128];
        open_auth = kern_auth_new("hmac-sha256", "", err, sizeof err);
        keyed_auth = kern_auth_new("hmac-sha256", "fuzz-key", err, sizeof err);
    }
    kern_frame frames[KERN_MAX_FRAMES];
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= size && n < KERN_MAX_FRAMES; i++) {
        if (i == size || data[i] == 0x1E) {
            frames[n].data = data + start;
            frames[n].len = i - start;
            n++;
            start = i + 1;
        }
    }
    decode_with(open_auth, frames, n);
    decode_with(keyed_auth, frames, n);
    return 0;
}

#ifdef FUZZ_MAIN
int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) { perror(argv[i]); return 1; }
        static uint8_t buf[1 << 20];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, n);
    }
    printf("fuzz_msg: %d inputs decoded\n", argc - 1);
    return 0;
}
#endif
