"""The API's access layer: API-key authentication, scopes, throttling, and the scoped
viewset and serializer bases every app's API builds on (all through the one policy)."""
