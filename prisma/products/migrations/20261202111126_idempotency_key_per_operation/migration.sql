-- One key, one operation. A key was stored per root field (caller, key, path), so the same key
-- on another mutation, or on the same one under an alias, wrote again. Now a caller's key is one
-- row: the fingerprint of its operation, and the response of each root field this subgraph wrote,
-- under its response key. Rows kept through the change: each caller's key folds into its
-- earliest row, the responses of all its fields together.
ALTER TABLE "idempotency_keys" ADD COLUMN "responses" JSONB NOT NULL DEFAULT '{}';

UPDATE "idempotency_keys" AS "row"
SET "responses" = "folded"."responses"
FROM (
    SELECT "caller", "key", COALESCE(jsonb_object_agg("path", "response" -> 'value') FILTER (WHERE "response" IS NOT NULL), '{}') AS "responses"
    FROM "idempotency_keys"
    GROUP BY "caller", "key"
) AS "folded"
WHERE "row"."caller" = "folded"."caller" AND "row"."key" = "folded"."key";

DELETE FROM "idempotency_keys" AS "later"
USING "idempotency_keys" AS "earlier"
WHERE "later"."caller" = "earlier"."caller" AND "later"."key" = "earlier"."key"
  AND ("later"."created_at", "later"."path") > ("earlier"."created_at", "earlier"."path");

-- AlterTable
ALTER TABLE "idempotency_keys" DROP CONSTRAINT "idempotency_keys_pkey",
DROP COLUMN "path",
DROP COLUMN "response",
ADD CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("caller", "key");
