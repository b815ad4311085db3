DROP TABLE ssf_outbox;
