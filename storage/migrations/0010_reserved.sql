-- Reserved: another branch adds migration 0010. This placeholder keeps the numbers
-- contiguous until that lands; replace it with the real 0010 when merging.
SELECT 1;
