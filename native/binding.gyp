{
  "targets": [
    {
      "target_name": "ocihooks",
      "sources": ["ocihooks.c", "napi-args.c", "run.c", "relay.c", "bpf.c", "mount-point.c", "open-as.c", "userns-helper.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-O2"]
    }
  ]
}
