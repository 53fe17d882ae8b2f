-- The signed tree heads the platform published, one row per size. Each row keeps where its tree
-- stops in the store's global order and the tree's frontier (the roots of its complete subtrees),
-- so that the next checkpoint hashes only the events appended since. The frontier is checked
-- against the signed root before it is trusted: a row altered in the database stops the signing
-- instead of being carried forward. Rows are only ever inserted.
create table log_checkpoints (
  tree_size bigint primary key,
  checkpoint jsonb not null,
  last_position bigint not null,
  frontier jsonb not null,
  signed_at timestamptz not null default now()
);
