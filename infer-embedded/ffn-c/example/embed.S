/* The exported model and the raw test images, embedded as read-only data.
 * The model starts at a 16-byte boundary, so its arrays are aligned for word loads. */
    .section .rodata.ffn_embedded, "a"
    .balign 16
    .global model_bytes, model_end, images_bytes, images_end
model_bytes:
    .incbin MODEL_FILE
model_end:
    .balign 4
images_bytes:
    .incbin IMAGES_FILE
images_end:
