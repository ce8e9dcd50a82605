"""Check-in at the gate: the rules (``rules``), the one read of the gate (``gate``), the writes
(``services``: check-in, check-out, roll call, void, closing what was left open), the reads
(``selectors``) and the member's pages (``views``). The API's check-in endpoint is
``huxue.api.duty``; it and the pages call the same services."""
