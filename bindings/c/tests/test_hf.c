/* The tokenizer.json section of crayon.h under valgrind: a small byte-level BPE file built here
 * (printable ASCII bytes, a few merges, an added token and a BOS template), encode/decode, buffer
 * contract, and refusals. Ids against Hugging Face itself are checked in
 * tests/python/test_hf_tokenizer_json.py. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crayon.h"
#include "test_support.h"

/* vocab: '!'..'~' as ids 0..93 (ByteLevel spells them as themselves), then merges h+e, l+l, he+ll, hell+o. */
static char *tokenizer_json(const char *normalizer) {
    static char buf[16384];
    size_t n = 0;
    n += (size_t)snprintf(buf + n, sizeof buf - n,
        "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"normalizer\":%s,"
        "\"added_tokens\":[{\"id\":98,\"content\":\"<bos>\",\"single_word\":false,\"lstrip\":false,"
        "\"rstrip\":false,\"normalized\":false,\"special\":true}],"
        "\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":true,\"use_regex\":true},"
        "\"post_processor\":{\"type\":\"TemplateProcessing\",\"single\":[{\"SpecialToken\":{\"id\":\"<bos>\",\"type_id\":0}},"
        "{\"Sequence\":{\"id\":\"A\",\"type_id\":0}}],\"pair\":[],\"special_tokens\":{\"<bos>\":{\"id\":\"<bos>\","
        "\"ids\":[98],\"tokens\":[\"<bos>\"]}}},"
        "\"decoder\":{\"type\":\"ByteLevel\",\"add_prefix_space\":true,\"trim_offsets\":true,\"use_regex\":true},"
        "\"model\":{\"type\":\"BPE\",\"dropout\":null,\"unk_token\":null,\"continuing_subword_prefix\":null,"
        "\"end_of_word_suffix\":null,\"fuse_unk\":false,\"byte_fallback\":false,\"ignore_merges\":false,\"vocab\":{",
        normalizer);
    for (int c = '!'; c <= '~'; c++) {
        if (c == '"' || c == '\\') n += (size_t)snprintf(buf + n, sizeof buf - n, "\"\\%c\":%d,", c, c - '!');
        else n += (size_t)snprintf(buf + n, sizeof buf - n, "\"%c\":%d,", c, c - '!');
    }
    n += (size_t)snprintf(buf + n, sizeof buf - n,
        "\"he\":94,\"ll\":95,\"hell\":96,\"hello\":97},\"merges\":[\"h e\",\"l l\",\"he ll\",\"hell o\"]}}");
    return buf;
}

int main(void) {
    crayon_hf *hf = NULL;
    const char *json = tokenizer_json("null");
    CHECK(crayon_hf_load_buffer(json, strlen(json), &hf) == CRAYON_OK && hf != NULL);
    CHECK(crayon_hf_vocab_size(hf) == 99);   /* 98 model tokens + <bos> */

    int32_t ids[16];
    CHECK(crayon_hf_encode(hf, "hello<bos>hi", 12, 1, ids, 16) == 5);
    CHECK(ids[0] == 98 && ids[1] == 97 && ids[2] == 98 && ids[3] == 'h' - '!' && ids[4] == 'i' - '!');
    CHECK(crayon_hf_encode(hf, "hello<bos>hi", 12, 0, ids, 16) == 4 && ids[0] == 97);
    CHECK(crayon_hf_encode(hf, "hello<bos>hi", 12, 1, ids, 2) == -5);   /* room for 5 needed */
    CHECK(crayon_hf_encode(hf, "", 0, 0, ids, 0) == 0);

    char text[32];
    int32_t back[] = {98, 97, 'h' - '!', 12345};
    CHECK(crayon_hf_decode(hf, back, 4, 1, text, sizeof text) == 6 && memcmp(text, "helloh", 6) == 0);
    CHECK(crayon_hf_decode(hf, back, 4, 0, text, sizeof text) == 11 && memcmp(text, "<bos>helloh", 11) == 0);
    CHECK(crayon_hf_decode(hf, back, 4, 0, text, 3) == -11);

    CHECK(crayon_hf_encode(hf, "a b", 3, 0, ids, 16) == CRAYON_FAILED && crayon_last_status() == CRAYON_E_UNSUPPORTED);
    CHECK(crayon_hf_encode(hf, "\xff", 1, 0, ids, 16) == CRAYON_FAILED && crayon_last_status() == CRAYON_E_INVALID_UTF8);
    CHECK(crayon_hf_encode(NULL, "a", 1, 0, ids, 16) == CRAYON_FAILED && crayon_last_status() == CRAYON_E_INVALID_ARGUMENT);
    CHECK(crayon_hf_encode(hf, NULL, 3, 0, ids, 16) == CRAYON_FAILED);
    crayon_hf_free(hf);
    crayon_hf_free(NULL);

    crayon_hf *bad = NULL;
    const char *nfkc = tokenizer_json("{\"type\":\"NFKC\"}");
    CHECK(crayon_hf_load_buffer(nfkc, strlen(nfkc), &bad) == CRAYON_E_UNSUPPORTED && bad == NULL);
    CHECK(strstr(crayon_last_error(), "normalizer NFKC") != NULL);
    CHECK(crayon_hf_load_buffer("{", 1, &bad) == CRAYON_E_FORMAT && bad == NULL);
    CHECK(crayon_hf_load("/nonexistent/tokenizer.json", &bad) == CRAYON_E_IO && bad == NULL);
    CHECK(crayon_hf_load_buffer(json, strlen(json), NULL) == CRAYON_E_INVALID_ARGUMENT);

    if (failures) { fprintf(stderr, "test_hf: %d failures\n", failures); return 1; }
    printf("test_hf: ok\n");
    return 0;
}
