-- CreateTable
CREATE TABLE "events" (
    "id" BIGSERIAL NOT NULL,
    "topic" TEXT NOT NULL,
    "seq" BIGINT NOT NULL,
    "payload" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_at" TIMESTAMPTZ(3),

    CONSTRAINT "events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "event_topics" (
    "topic" TEXT NOT NULL,
    "seq" BIGINT NOT NULL,

    CONSTRAINT "event_topics_pkey" PRIMARY KEY ("topic")
);

-- CreateIndex
CREATE INDEX "events_published_at_id_idx" ON "events"("published_at", "id");

-- CreateIndex
CREATE INDEX "events_created_at_idx" ON "events"("created_at");

-- CreateIndex
CREATE UNIQUE INDEX "events_topic_seq_key" ON "events"("topic", "seq");
