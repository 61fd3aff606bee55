/* test_wire.c -- kernel/wire.c: signing, decoding (the fuzz target's entry) and encoding. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include "kernel/kernel.h"

#define F(s) {(const unsigned char *)(s), sizeof(s) - 1}

static const char HDR[] = "{\"msg_id\":\"m1\",\"msg_type\":\"execute_request\"}";

static void sign4(kern_auth *auth, const char *a, const char *b, const char *c, const char *d, char hex[65])
{
    const unsigned char *p[4] = {(const unsigned char *)a, (const unsigned char *)b,
                                 (const unsigned char *)c, (const unsigned char *)d};
    size_t n[4] = {strlen(a), strlen(b), strlen(c), strlen(d)};
    assert_int_equal(kern_auth_sign(auth, p, n, hex), 0);
}

static void test_wire_sign_matches_python_hmac(void **state)
{
    (void)state;
    char err[128], hex[65];
    kern_auth *auth = kern_auth_new("hmac-sha256", "secret", err, sizeof err);
    assert_non_null(auth);
    sign4(auth, "{\"a\":1}", "{}", "{}", "{}", hex);
    /* hmac.new(b"secret", b'{"a":1}{}{}{}', hashlib.sha256).hexdigest() */
    assert_string_equal(hex, "5439160579203ae5952244a353b0f81b6ca58a3fb44727217799b393ee79601c");
    sign4(auth, "{\"a\":1}", "{}", "{}", "{}", hex);   /* the key is reused */
    assert_string_equal(hex, "5439160579203ae5952244a353b0f81b6ca58a3fb44727217799b393ee79601c");
    kern_auth_free(auth);
}

static void test_wire_empty_key_means_no_signing(void **state)
{
    (void)state;
    char err[128], hex[65];
    kern_auth *auth = kern_auth_new("hmac-sha256", "", err, sizeof err);
    sign4(auth, "{}", "{}", "{}", "{}", hex);
    assert_string_equal(hex, "");
    kern_frame frames[] = {F("<IDS|MSG>"), F("whatever"), F(HDR), F("{}"), F("{}"), F("{}")};
    kern_msg msg;
    assert_int_equal(kern_msg_decode(auth, frames, 6, &msg, err, sizeof err), 0);
    assert_string_equal(msg.msg_type, "execute_request");
    kern_msg_free(&msg);
    kern_auth_free(auth);
}

static void test_wire_unknown_scheme_is_an_error(void **state)
{
    (void)state;
    char err[128];
    assert_null(kern_auth_new("hmac-md5", "k", err, sizeof err));
    assert_non_null(strstr(err, "hmac-md5"));
}

static void test_wire_decode_checks_signature_and_keeps_idents(void **state)
{
    (void)state;
    char err[128], hex[65];
    kern_auth *auth = kern_auth_new("hmac-sha256", "key", err, sizeof err);
    sign4(auth, HDR, "{}", "{}", "{\"code\":\"1\"}", hex);
    kern_frame frames[] = {F("id-a"), F("id-b"), F("<IDS|MSG>"), {(const unsigned char *)hex, 64},
                           F(HDR), F("{}"), F("{}"), F("{\"code\":\"1\"}"), F("buffer")};
    kern_msg msg;
    assert_int_equal(kern_msg_decode(auth, frames, 9, &msg, err, sizeof err), 0);
    assert_int_equal(msg.n_idents, 2);
    assert_memory_equal(msg.ident[1], "id-b", 4);
    assert_string_equal(json_string_value(json_object_get(msg.content, "code")), "1");
    kern_msg_free(&msg);

    hex[0] = hex[0] == 'a' ? 'b' : 'a';   /* one wrong digit */
    assert_int_equal(kern_msg_decode(auth, frames, 9, &msg, err, sizeof err), -1);
    assert_string_equal(err, "bad or missing signature");
    kern_frame unsigned_frames[] = {F("<IDS|MSG>"), F(""), F(HDR), F("{}"), F("{}"), F("{}")};
    assert_int_equal(kern_msg_decode(auth, unsigned_frames, 6, &msg, err, sizeof err), -1);
    kern_frame short_sig[] = {F("<IDS|MSG>"), F("abc"), F(HDR), F("{}"), F("{}"), F("{}")};
    assert_int_equal(kern_msg_decode(auth, short_sig, 6, &msg, err, sizeof err), -1);
    kern_msg_free(&msg);   /* harmless on a failed decode */
    kern_auth_free(auth);
}

static void test_wire_decode_rejects_malformed(void **state)
{
    (void)state;
    char err[128];
    kern_auth *auth = kern_auth_new("hmac-sha256", "", err, sizeof err);
    kern_msg msg;
    kern_frame no_delim[] = {F("a"), F("b"), F(HDR), F("{}"), F("{}"), F("{}")};
    assert_int_equal(kern_msg_decode(auth, no_delim, 6, &msg, err, sizeof err), -1);
    assert_non_null(strstr(err, "delimiter"));
    kern_frame too_few[] = {F("<IDS|MSG>"), F(""), F(HDR), F("{}")};
    assert_int_equal(kern_msg_decode(auth, too_few, 4, &msg, err, sizeof err), -1);
    kern_frame bad_json[] = {F("<IDS|MSG>"), F(""), F("{\"msg_id\":"), F("{}"), F("{}"), F("{}")};
    assert_int_equal(kern_msg_decode(auth, bad_json, 6, &msg, err, sizeof err), -1);
    assert_non_null(strstr(err, "header is not valid JSON"));
    kern_frame not_obj[] = {F("<IDS|MSG>"), F(""), F(HDR), F("[]"), F("{}"), F("{}")};
    assert_int_equal(kern_msg_decode(auth, not_obj, 6, &msg, err, sizeof err), -1);
    assert_non_null(strstr(err, "parent_header is not a JSON object"));
    kern_frame no_type[] = {F("<IDS|MSG>"), F(""), F("{\"msg_id\":\"x\"}"), F("{}"), F("{}"), F("{}")};
    assert_int_equal(kern_msg_decode(auth, no_type, 6, &msg, err, sizeof err), -1);
    kern_frame many[KERN_MAX_IDENTS + 7];
    for (int i = 0; i < KERN_MAX_IDENTS + 1; i++) many[i] = (kern_frame)F("id");
    kern_frame tail[] = {F("<IDS|MSG>"), F(""), F(HDR), F("{}"), F("{}"), F("{}")};
    memcpy(&many[KERN_MAX_IDENTS + 1], tail, sizeof tail);
    assert_int_equal(kern_msg_decode(auth, many, KERN_MAX_IDENTS + 7, &msg, err, sizeof err), -1);
    kern_auth_free(auth);
}

static void test_wire_encode_round_trip(void **state)
{
    (void)state;
    char err[128];
    kern_auth *auth = kern_auth_new("hmac-sha256", "k3y", err, sizeof err);
    json_t *h = json_pack("{s:s,s:s}", "msg_id", "r1", "msg_type", "stream");
    json_t *p = json_object(), *m = json_object();
    json_t *c = json_pack("{s:s,s:s}", "name", "stdout", "text", "h\xc3\xa9llo\n");
    unsigned char *ids[1] = {(unsigned char *)"topic"};
    size_t lens[1] = {5};
    kern_wire w;
    assert_int_equal(kern_msg_encode(auth, ids, lens, 1, h, p, m, c, &w, err, sizeof err), 0);
    assert_int_equal(w.n, 7);
    assert_memory_equal(w.data[1], "<IDS|MSG>", 9);
    assert_int_equal(w.len[2], 64);
    kern_frame frames[7];
    for (size_t i = 0; i < w.n; i++) { frames[i].data = w.data[i]; frames[i].len = w.len[i]; }
    kern_msg msg;
    assert_int_equal(kern_msg_decode(auth, frames, 7, &msg, err, sizeof err), 0);
    assert_string_equal(json_string_value(json_object_get(msg.content, "text")), "h\xc3\xa9llo\n");
    assert_int_equal(msg.n_idents, 1);
    kern_msg_free(&msg);
    kern_wire_free(&w);
    json_decref(h); json_decref(p); json_decref(m); json_decref(c);
    kern_auth_free(auth);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wire_sign_matches_python_hmac),
        cmocka_unit_test(test_wire_empty_key_means_no_signing),
        cmocka_unit_test(test_wire_unknown_scheme_is_an_error),
        cmocka_unit_test(test_wire_decode_checks_signature_and_keeps_idents),
        cmocka_unit_test(test_wire_decode_rejects_malformed),
        cmocka_unit_test(test_wire_encode_round_trip),
    };
    return cmocka_run_group_tests_name("kernel_wire", tests, NULL, NULL);
}
