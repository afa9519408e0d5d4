"""Proactive delivery: deciding what to send (nudges, digests), the outbox, the sender that
drains it, and the scheduler that runs it all on time, once, across replicas."""
