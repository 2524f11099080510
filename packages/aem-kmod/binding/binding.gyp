{
  "targets": [
    {
      "target_name": "aem",
      "sources": ["aem_binding.c", "timerfd_baseline.c", "aem_sock.c", "aem_udp_batch.c", "../lib/libaem.c"],
      "include_dirs": ["../include/uapi", "../lib"],
      "cflags_c": ["-std=gnu11", "-Wall", "-Wextra"],
      "defines": ["_GNU_SOURCE"]
    }
  ]
}
