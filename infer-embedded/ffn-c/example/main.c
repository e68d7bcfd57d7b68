/* Classifies the embedded test images with the embedded ffn model through the C API and
 * prints one line per image, "image K: CLASS_NAME (P%)", the same class names as the host's
 * `predict MODEL IDX_FILE:K`. Exit status: 0 when every image was classified, and
 * ffn_predict_f32 agrees with ffn_predict_u8 on every image; 3 if the model is refused;
 * 2 otherwise. */
#include <stddef.h>
#include <stdint.h>
#include "ffn.h"
#include "semihost.h"

extern const uint8_t model_bytes[], model_end[], images_bytes[], images_end[];

static ffn_model model;
/* Sized by `make` from the model (SCRATCH_BYTES); ffn_model_scratch_bytes() checks it. */
static _Alignas(FFN_SCRATCH_ALIGN) uint8_t scratch[SCRATCH_BYTES];
static float pixels_f32[MAX_INPUTS];
static float scores[MAX_CLASSES];

static char *put_text(char *at, const char *text) {
    while (*text) *at++ = *text++;
    return at;
}

static char *put_uint(char *at, uint32_t n) {
    char digits[10];
    int count = 0;
    do {
        digits[count++] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    while (count) *at++ = digits[--count];
    return at;
}

static void print_error(const char *what, int32_t code) {
    char line[160], *at = put_text(line, what);
    at = put_text(at, ": ");
    at = put_text(at, ffn_error_message(code));
    at = put_text(at, "\n");
    *at = 0;
    semihost_write(line);
}

int main(void) {
    int32_t rc = ffn_model_init(&model, model_bytes, (size_t)(model_end - model_bytes));
    if (rc != 0) {
        print_error("model refused", rc);
        return 3;
    }
    size_t inputs = ffn_model_inputs(&model), classes = ffn_model_classes(&model);
    if (inputs > MAX_INPUTS || classes > MAX_CLASSES || ffn_model_scratch_bytes(&model) > sizeof scratch) {
        semihost_write("the model is larger than this build's buffers: rebuild with make\n");
        return 3;
    }
    size_t count = (size_t)(images_end - images_bytes) / inputs;
    uint32_t disagreements = 0, failures = 0;
    for (size_t k = 0; k < count; k++) {
        const uint8_t *image = images_bytes + k * inputs;
        int32_t cls = ffn_predict_u8(&model, image, inputs, scratch, sizeof scratch, scores, classes);
        if (cls < 0) {
            print_error("predict failed", cls);
            failures++;
            continue;
        }
        float probability = scores[cls];
        for (size_t i = 0; i < inputs; i++) pixels_f32[i] = (float)image[i];
        int32_t cls_f32 = ffn_predict_f32(&model, pixels_f32, inputs, scratch, sizeof scratch, NULL, 0);
        disagreements += cls_f32 != cls;

        uint32_t tenths = (uint32_t)(probability * 1000.0f + 0.5f);
        char line[160], *at = put_text(line, "image ");
        at = put_uint(at, (uint32_t)k);
        at = put_text(at, ": ");
        at = put_text(at, ffn_model_class_name(&model, (size_t)cls));
        at = put_text(at, " (");
        at = put_uint(at, tenths / 10);
        at = put_text(at, ".");
        at = put_uint(at, tenths % 10);
        at = put_text(at, "%)\n");
        *at = 0;
        semihost_write(line);
    }
    char line[96], *at = put_text(line, "classified ");
    at = put_uint(at, (uint32_t)(count - failures));
    at = put_text(at, " of ");
    at = put_uint(at, (uint32_t)count);
    at = put_text(at, "; u8/f32 disagreements ");
    at = put_uint(at, disagreements);
    at = put_text(at, "\n");
    *at = 0;
    semihost_write(line);
    return failures == 0 && disagreements == 0 && count > 0 ? 0 : 2;
}
