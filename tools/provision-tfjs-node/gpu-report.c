// What the CUDA build of libtensorflow sees on this machine, as one JSON object on stdout.
// Compiled and run by `provision.mjs --gpu` (see README.md, "tfjs-node-gpu"):
//
//   gpu-report <lib>...   each <lib> a full path to a CUDA library that TF dlopens at GPU start-up
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
  TF_Status *status = TF_NewStatus();
  TF_Buffer *buf = TF_GetRegisteredKernelsForOp(op, status);
  int found = 0;
  if (TF_GetCode(status) == TF_OK && buf != NULL) {
    static const unsigned char needle[] = {0x12, 0x03, 'G', 'P', 'U'};
    const unsigned char *data = (const unsigned char *)buf->data;
    for (size_t i = 0; i + sizeof needle <= buf->length && !found; i++) {
      found = memcmp(data + i, needle, sizeof needle) == 0;
    }
  }
  if (buf != NULL) TF_DeleteBuffer(buf);
  TF_DeleteStatus(status);
  return found;
}

int main(int argc, char **argv) {
  printf("{\"cudaLibs\":[");
  for (int i = 1; i < argc; i++) {
    void *handle = dlopen(argv[i], RTLD_NOW | RTLD_GLOBAL);
    printf("%s{\"path\":", i > 1 ? "," : "");
    json_string(argv[i]);
    if (handle != NULL) {
      printf(",\"loaded\":true}");
    } else {
      printf(",\"loaded\":false,\"error\":");
      json_string(dlerror());
      putchar('}');
    }
  }
  printf("],\"driver\":");
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
  json_string(TF_Version());
  printf(",\"gpuKernels\":%s", has_gpu_kernel("MatMul") ? "true" : "false");

  TF_Status *status = TF_NewStatus();
  TFE_ContextOptions *options = TFE_NewContextOptions();
  TFE_Context *ctx = TFE_NewContext(options, status);
  TFE_DeleteContextOptions(options);
  if (TF_GetCode(status) != TF_OK) {
    printf(",\"devices\":null,\"contextError\":");
    json_string(TF_Message(status));
    printf("}\n");
    TF_DeleteStatus(status);
    return 0;
  }
  TF_DeviceList *devices = TFE_ContextListDevices(ctx, status);
  printf(",\"devices\":[");
  if (TF_GetCode(status) == TF_OK) {
    int n = TF_DeviceListCount(devices);
    for (int i = 0; i < n; i++) {
      printf("%s{\"name\":", i > 0 ? "," : "");
      json_string(TF_DeviceListName(devices, i, status));
      printf(",\"type\":");
      json_string(TF_DeviceListType(devices, i, status));
      printf(",\"memoryBytes\":%lld}", (long long)TF_DeviceListMemoryBytes(devices, i, status));
    }
    TF_DeleteDeviceList(devices);
  }
  printf("]}\n");
  TFE_DeleteContext(ctx);
  TF_DeleteStatus(status);
  return 0;
}
