"""Bar-association portal pages (no models: they read through selectors and the policy,
and write through the apps' services)."""
