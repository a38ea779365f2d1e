"""Version 1 of the daemon's gRPC API: ``daemon.proto`` and the stubs generated from it."""
