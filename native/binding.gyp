{
  "targets": [
    {
      "target_name": "ocihooks",
      "sources": ["ocihooks.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-O2"]
    }
  ]
}
