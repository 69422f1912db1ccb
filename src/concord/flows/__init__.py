"""Process APIs: the professional services flows, as durable flows over canonical objects."""
