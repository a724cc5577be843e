// What the CUDA build of libtensorflow sees on this machine, as one JSON object on stdout.
// Compiled and run by `provision.mjs --gpu` (see README.md, "tfjs-node-gpu"):
//
//   gpu-report <libtensorflow_cc.so.2> <lib>...
//
// <libtensorflow_cc.so.2>: the full path of the library to report on (loaded with dlopen, so the
// helper links nothing and compiles in a fraction of a second); each <lib>: a full path to a
// CUDA library that TF dlopens at GPU start-up.
//
// It reports:
//   - cudaLibs: for each path, whether dlopen(RTLD_NOW | RTLD_GLOBAL) succeeds (in argument order,
//     so earlier libraries satisfy later ones' DT_NEEDED), and dlerror() when it does not;
//   - driver: whether libcuda.so.1 (the NVIDIA driver's library, never shipped in a wheel) loads,
//     and cuDriverGetVersion() when it does;
//   - tfVersion, and gpuKernels: whether TF registered a GPU kernel for MatMul (true only for a
//     CUDA build, GPU or not);
//   - devices: what an eager context lists (TFE_ContextListDevices), e.g. CPU:0 and GPU:0.
// TF logs to stderr; only the JSON goes to stdout.
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "tensorflow/c/c_api.h"
#include "tensorflow/c/eager/c_api.h"

// The TF C API functions used below, resolved from the library given on the command line.
#define TF_FUNCTIONS(X)                                                                      \
  X(TF_Version)                                                                              \
  X(TF_NewStatus) X(TF_DeleteStatus) X(TF_GetCode) X(TF_Message) X(TF_DeleteBuffer)          \
  X(TF_GetRegisteredKernelsForOp) X(TFE_NewContextOptions) X(TFE_DeleteContextOptions)        \
  X(TFE_NewContext) X(TFE_DeleteContext) X(TFE_ContextListDevices) X(TF_DeviceListCount)      \
  X(TF_DeviceListName) X(TF_DeviceListType) X(TF_DeviceListMemoryBytes) X(TF_DeleteDeviceList)
#define DECLARE(name) static __typeof__(&name) p_##name;
TF_FUNCTIONS(DECLARE)

static void json_string(const char *s) {
  putchar('"');
  for (; s != NULL && *s != '\0'; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      printf("\\%c", c);
    } else if (c < 0x20) {
      printf("\\u%04x", c);
    } else {
      putchar(c);
    }
  }
  putchar('"');
}

// A serialized KernelList holds KernelDef messages whose field 2 (device_type) is a string:
// tag 0x12, length 3, "GPU". The bytes appear verbatim inside the outer message.
static int has_gpu_kernel(const char *op) {
  TF_Status *status = p_TF_NewStatus();
  TF_Buffer *buf = p_TF_GetRegisteredKernelsForOp(op, status);
  int found = 0;
  if (p_TF_GetCode(status) == TF_OK && buf != NULL) {
    static const unsigned char needle[] = {0x12, 0x03, 'G', 'P', 'U'};
    const unsigned char *data = (const unsigned char *)buf->data;
    for (size_t i = 0; i + sizeof needle <= buf->length && !found; i++) {
      found = memcmp(data + i, needle, sizeof needle) == 0;
    }
  }
  if (buf != NULL) p_TF_DeleteBuffer(buf);
  p_TF_DeleteStatus(status);
  return found;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: gpu-report <libtensorflow_cc.so.2> [cuda-lib ...]\n");
    return 2;
  }
  void *tf = dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL);
  if (tf == NULL) {
    fprintf(stderr, "gpu-report: cannot load %s: %s\n", argv[1], dlerror());
    return 1;
  }
#define RESOLVE(name)                                                      \
  p_##name = (__typeof__(&name))dlsym(tf, #name);                          \
  if (p_##name == NULL) {                                                  \
    fprintf(stderr, "gpu-report: %s does not export %s\n", argv[1], #name); \
    return 1;                                                              \
  }
  TF_FUNCTIONS(RESOLVE)

  printf("{");
  printf("\"driver\":");
  void *cuda = dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL);
  if (cuda == NULL) {
    printf("{\"loaded\":false,\"error\":");
    json_string(dlerror());
    putchar('}');
  } else {
    int version = 0;
    int (*get_version)(int *) = (int (*)(int *))dlsym(cuda, "cuDriverGetVersion");
    int rc = get_version != NULL ? get_version(&version) : -1;
    printf("{\"loaded\":true,\"cudaVersion\":%d}", rc == 0 ? version : -1);
  }
  printf(",\"tfVersion\":");
  json_string(p_TF_Version());
  printf(",\"gpuKernels\":%s", has_gpu_kernel("MatMul") ? "true" : "false");

  TF_Status *status = p_TF_NewStatus();
  TFE_ContextOptions *options = p_TFE_NewContextOptions();
  TFE_Context *ctx = p_TFE_NewContext(options, status);
  p_TFE_DeleteContextOptions(options);
  if (p_TF_GetCode(status) != TF_OK) {
    printf(",\"devices\":null,\"contextError\":");
    json_string(p_TF_Message(status));
    printf("}\n");
    p_TF_DeleteStatus(status);
    return 0;
  }
  TF_DeviceList *devices = p_TFE_ContextListDevices(ctx, status);
  printf(",\"devices\":[");
  if (p_TF_GetCode(status) == TF_OK) {
    int n = p_TF_DeviceListCount(devices);
    for (int i = 0; i < n; i++) {
      printf("%s{\"name\":", i > 0 ? "," : "");
      json_string(p_TF_DeviceListName(devices, i, status));
      printf(",\"type\":");
      json_string(p_TF_DeviceListType(devices, i, status));
      printf(",\"memoryBytes\":%lld}", (long long)p_TF_DeviceListMemoryBytes(devices, i, status));
    }
    p_TF_DeleteDeviceList(devices);
  }
  printf("],\"cudaLibs\":[");
  for (int i = 2; i < argc; i++) {
    void *handle = dlopen(argv[i], RTLD_NOW | RTLD_GLOBAL);
    printf("%s{\"path\":", i > 2 ? "," : "");
    json_string(argv[i]);
    if (handle != NULL) {
      printf(",\"loaded\":true}");
    } else {
      printf(",\"loaded\":false,\"error\":");
      json_string(dlerror());
      putchar('}');
    }
  }
  printf("]}\n");
  p_TFE_DeleteContext(ctx);
  p_TF_DeleteStatus(status);
  return 0;
}
