"""The durable engine: record, dispatch, run flows, deliver commands, park what fails, replay safely."""
