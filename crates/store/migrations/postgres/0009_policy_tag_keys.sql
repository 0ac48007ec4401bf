-- A managed policy's tag keys are compared as written (AWS keeps `a` and `A` apart on a
-- policy, recorded on AWS); the other kinds keep comparing them lower-cased. Existing
-- policy rows were unique lower-cased, so they stay unique as written.

UPDATE tags SET key_lower = tag_key WHERE resource_kind = 'policy';
