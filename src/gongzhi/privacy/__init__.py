"""Personal information handling in the spirit of PIPL (issue 17): retention periods per kind of
record, the purge that deletes or anonymises expired personal data, and a person's own data export."""
