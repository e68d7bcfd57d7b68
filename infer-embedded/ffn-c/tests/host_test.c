/* The C API on the host, compiled by the host's cc against target/release/libffn_c.a:
 *   host_test MODEL.ffn IMAGES.raw
 * IMAGES.raw holds whole samples of ffn_model_inputs() bytes (grey levels). Checks every
 * FFN_E_* path the caller can reach, then prints "image K: CLASS_NAME (P%)" per sample like
 * the firmware example; exit 0 only if every check passed. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../ffn.h"

static int failures = 0;
#define EXPECT(cond)                                                           \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                        \
        }                                                                      \
    } while (0)

static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(2); }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    /* 16 spare bytes so a misaligned copy fits; malloc's alignment serves the model. */
    uint8_t *bytes = malloc((size_t)size + 16);
    if (!bytes || fread(bytes, 1, (size_t)size, f) != (size_t)size) { perror(path); exit(2); }
    fclose(f);
    *len = (size_t)size;
    return bytes;
}

/* Every refusal of ffn_model_init, and that a failed init leaves the model unusable. */
static void check_init(const uint8_t *bytes, size_t len) {
    static ffn_model model;
    uint8_t *copy = malloc(len);
    memcpy(copy, bytes, len);
    EXPECT(ffn_model_init(NULL, bytes, len) == FFN_E_NULL);
    EXPECT(ffn_model_init(&model, NULL, len) == FFN_E_NULL);
    EXPECT(ffn_model_init(&model, bytes, 3) == FFN_E_TRUNCATED);
    EXPECT(ffn_model_init(&model, bytes, SIZE_MAX) == FFN_E_TOO_LONG);
    copy[0] = 'X';
    EXPECT(ffn_model_init(&model, copy, len) == FFN_E_BAD_MAGIC);
    copy[0] = bytes[0];
    copy[len / 2] ^= 0x40;
    EXPECT(ffn_model_init(&model, copy, len) == FFN_E_BAD_CRC);
    copy[len / 2] ^= 0x40;
    EXPECT(ffn_model_init(&model, copy, len) == 0);
    EXPECT(ffn_model_inputs(&model) > 0);
    EXPECT(ffn_model_init(&model, copy, len - 1) < 0);
    EXPECT(ffn_model_inputs(&model) == 0 && ffn_model_classes(&model) == 0 && ffn_model_scratch_bytes(&model) == 0);
    uint64_t unaligned[FFN_MODEL_WORDS + 1];
    EXPECT(ffn_model_init((ffn_model *)((char *)unaligned + 4), bytes, len) == FFN_E_MISALIGNED);
    /* The model struct inside the model bytes would be overwritten by init itself. */
    uint8_t *shared = malloc(len + sizeof(ffn_model));
    memcpy(shared, bytes, len);
    EXPECT(ffn_model_init((ffn_model *)shared, shared, len) == FFN_E_OVERLAP);
    free(shared);
    free(copy);
}

/* Every refusal of the predict calls on a valid model. */
static void check_predict(const ffn_model *model, const uint8_t *model_bytes, const uint8_t *image) {
    size_t inputs = ffn_model_inputs(model), classes = ffn_model_classes(model);
    size_t need = ffn_model_scratch_bytes(model);
    uint32_t *scratch_words = calloc(need / 4 + 8, 4);
    uint8_t *scratch = (uint8_t *)scratch_words;
    float *scores = calloc(classes + 1, sizeof(float));
    float *values = calloc(inputs + 1, sizeof(float));
    for (size_t i = 0; i < inputs; i++) values[i] = image[i];

    ffn_model blank;
    memset(&blank, 0, sizeof blank);
    EXPECT(ffn_predict_u8(&blank, image, inputs, scratch, need, NULL, 0) == FFN_E_NOT_INITIALISED);
    EXPECT(ffn_model_inputs(&blank) == 0 && ffn_model_class_name(&blank, 0) == NULL);
    EXPECT(ffn_predict_u8(NULL, image, inputs, scratch, need, NULL, 0) == FFN_E_NULL);
    EXPECT(ffn_predict_u8(model, NULL, inputs, scratch, need, NULL, 0) == FFN_E_NULL);
    EXPECT(ffn_predict_u8(model, image, inputs, NULL, need, NULL, 0) == FFN_E_NULL);
    EXPECT(ffn_predict_u8(model, image, inputs, scratch, need, NULL, classes) == FFN_E_NULL);
    EXPECT(ffn_predict_u8(model, image, inputs - 1, scratch, need, NULL, 0) == FFN_E_INPUT_LENGTH);
    /* ffn_model_scratch_bytes() covers both calls; a call that converts its input (at least one of
     * the two does) needs all of it, one that reads its input directly needs less. */
    EXPECT(ffn_predict_u8(model, image, inputs, scratch, 4, NULL, 0) == FFN_E_SCRATCH_TOO_SMALL);
    EXPECT(ffn_predict_f32(model, values, inputs, scratch, 4, NULL, 0) == FFN_E_SCRATCH_TOO_SMALL);
    EXPECT(ffn_predict_u8(model, image, inputs, scratch, need - 1, NULL, 0) == FFN_E_SCRATCH_TOO_SMALL ||
           ffn_predict_f32(model, values, inputs, scratch, need - 1, NULL, 0) == FFN_E_SCRATCH_TOO_SMALL);
    EXPECT(ffn_predict_u8(model, image, inputs, scratch + 1, need, NULL, 0) == FFN_E_SCRATCH_MISALIGNED);
    EXPECT(ffn_predict_u8(model, image, inputs, scratch, need, scores, classes - 1) == FFN_E_SCORES_TOO_SMALL);
    EXPECT(ffn_predict_f32(model, values, SIZE_MAX, scratch, need, NULL, 0) == FFN_E_TOO_LONG);
    EXPECT(ffn_predict_f32(model, (const float *)((const char *)values + 1), inputs, scratch, need, NULL, 0) ==
           FFN_E_MISALIGNED);
    /* Scores inside the scratch, scratch over the input, scratch over the model bytes. */
    EXPECT(ffn_predict_u8(model, image, inputs, scratch, need, (float *)scratch, classes) == FFN_E_OVERLAP);
    memcpy(scratch, image, inputs);
    EXPECT(ffn_predict_u8(model, scratch, inputs, scratch, need, NULL, 0) == FFN_E_OVERLAP);
    EXPECT(ffn_predict_u8(model, image, inputs, (void *)model_bytes, need, NULL, 0) == FFN_E_OVERLAP);
    values[inputs / 2] = NAN;
    EXPECT(ffn_predict_f32(model, values, inputs, scratch, need, NULL, 0) == FFN_E_NON_FINITE_INPUT);
    values[inputs / 2] = INFINITY;
    EXPECT(ffn_predict_f32(model, values, inputs, scratch, need, NULL, 0) == FFN_E_NON_FINITE_INPUT);
    EXPECT(ffn_model_class_name(model, classes) == NULL);

    /* f32 input is converted to the model's u8 input type, saturating: 300 acts as 255, -7 as 0. */
    uint8_t *clamped = malloc(inputs);
    for (size_t i = 0; i < inputs; i++) {
        values[i] = (i % 3 == 0) ? 300.0f : (i % 3 == 1) ? -7.0f : (float)image[i];
        clamped[i] = (i % 3 == 0) ? 255 : (i % 3 == 1) ? 0 : image[i];
    }
    float *scores_u8 = calloc(classes, sizeof(float));
    int32_t a = ffn_predict_f32(model, values, inputs, scratch, need, scores, classes);
    int32_t b = ffn_predict_u8(model, clamped, inputs, scratch, need, scores_u8, classes);
    EXPECT(a >= 0 && a == b && memcmp(scores, scores_u8, classes * sizeof(float)) == 0);
    float total = 0;
    for (size_t c = 0; c < classes; c++) total += scores[c];
    EXPECT(fabsf(total - 1.0f) < 1e-5f);

    const int32_t codes[] = {FFN_E_TRUNCATED, FFN_E_BAD_MAGIC, FFN_E_VERSION_1, FFN_E_UNSUPPORTED_VERSION,
                             FFN_E_BAD_CRC, FFN_E_MALFORMED, FFN_E_BAD_SIZES, FFN_E_BAD_NAMES,
                             FFN_E_BAD_PREPROCESSING, FFN_E_BAD_WEIGHT, FFN_E_BAD_BIAS, FFN_E_BAD_SCALE,
                             FFN_E_BAD_REQUANTISATION, FFN_E_INPUT_LENGTH, FFN_E_NON_FINITE_INPUT,
                             FFN_E_SCRATCH_TOO_SMALL, FFN_E_SCRATCH_MISALIGNED, FFN_E_SCORES_TOO_SMALL,
                             FFN_E_NON_FINITE_RESULT, FFN_E_NULL, FFN_E_NOT_INITIALISED, FFN_E_MISALIGNED,
                             FFN_E_TOO_LONG, FFN_E_OVERLAP};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        EXPECT(strstr(ffn_error_message(codes[i]), "unknown") == NULL);
    }
    EXPECT(strstr(ffn_error_message(-999), "unknown") != NULL);
    free(clamped), free(scores_u8), free(scratch_words), free(scores), free(values);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s MODEL.ffn IMAGES.raw\n", argv[0]);
        return 2;
    }
    size_t model_len, images_len;
    uint8_t *model_bytes = read_file(argv[1], &model_len);
    uint8_t *images = read_file(argv[2], &images_len);
    static ffn_model model;
    int32_t rc = ffn_model_init(&model, model_bytes, model_len);
    if (rc != 0) {
        fprintf(stderr, "model refused: %s\n", ffn_error_message(rc));
        return 3;
    }
    size_t inputs = ffn_model_inputs(&model), classes = ffn_model_classes(&model);
    size_t count = images_len / inputs;
    check_init(model_bytes, model_len);
    check_predict(&model, model_bytes, images);

    uint32_t *scratch = calloc(ffn_model_scratch_bytes(&model) / 4 + 1, 4);
    float *scores = calloc(classes, sizeof(float));
    for (size_t k = 0; k < count; k++) {
        int32_t cls = ffn_predict_u8(&model, images + k * inputs, inputs, scratch, ffn_model_scratch_bytes(&model),
                                     scores, classes);
        if (cls < 0) {
            fprintf(stderr, "image %zu: %s\n", k, ffn_error_message(cls));
            failures++;
            continue;
        }
        printf("image %zu: %s (%.1f%%)\n", k, ffn_model_class_name(&model, (size_t)cls), 100.0 * scores[cls]);
    }
    fprintf(stderr, "%d checks failed\n", failures);
    return failures == 0 ? 0 : 1;
}
