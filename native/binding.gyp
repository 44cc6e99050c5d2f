{
  "targets": [
    {
      "target_name": "ocihooks",
      "sources": ["ocihooks.c", "napi-args.c", "run.c", "relay.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-O2"]
    }
  ]
}
