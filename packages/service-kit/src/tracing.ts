import { context, propagation, ROOT_CONTEXT, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/** The W3C Trace Context header a trace is carried in between services. */
export const TRACEPARENT_HEADER = 'traceparent';

let enabled = false;
const tracer = trace.getTracer('tessera');

/** Tracing of this process, as started by {@link startTracing}. */
export interface Tracing {
  /** Whether spans are recorded and exported. */
  enabled: boolean;
  /** Exports what is buffered, then stops. */
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry SDK when an OTLP endpoint is configured (`OTEL_EXPORTER_OTLP_ENDPOINT`,
 * the collector's base URL): spans are batched and exported over OTLP/HTTP to `<endpoint>/v1/traces`,
 * W3C `traceparent` is read from requests and sent with calls. Without an endpoint nothing is
 * registered, and the span helpers below cost one branch.
 */
export function startTracing({ service, endpoint }: { service: string; endpoint: string | undefined }): Tracing {
  if (!endpoint) return { enabled: false, shutdown: async () => {} };
  const exporter = new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  // Global tracer provider, AsyncLocalStorage context and W3C propagation: Apollo Gateway's own
  // spans (request, validate, plan, fetch) and Prisma's are recorded through these too.
  provider.register();
  enabled = true;
  return {
    enabled: true,
    shutdown: async () => {
      enabled = false;
      await provider.shutdown();
    },
  };
}

/** Whether spans are being recorded (an endpoint is configured). */
export function tracingEnabled(): boolean {
  return enabled;
}

/** Runs `work` inside a span named `name` (active for what it calls), ended when it settles; plain `work()` when tracing is off. */
export function withSpan<T>(name: string, attributes: Attributes, work: () => Promise<T>): Promise<T> {
  if (!enabled) return work();
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await work();
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Runs `work` in the trace the incoming `headers` continue (their `traceparent`), when tracing is on. */
export function inIncomingTrace<T>(headers: Record<string, string | string[] | undefined>, work: () => T): T {
  if (!enabled) return work();
  return context.with(propagation.extract(ROOT_CONTEXT, headers), work);
}

/** Adds the active trace's `traceparent` to outgoing `headers` (tracing on); otherwise passes on `incoming`'s, so a caller's trace is not cut. */
export function propagateTrace(headers: Record<string, string>, incoming?: string | null): void {
  if (enabled) propagation.inject(context.active(), headers);
  else if (incoming) headers[TRACEPARENT_HEADER] = incoming;
}

/** Names the active span after what it turned out to be (the operation, once parsed). */
export function nameActiveSpan(name: string, attributes: Attributes = {}): void {
  if (!enabled) return;
  const span = trace.getActiveSpan();
  span?.updateName(name);
  span?.setAttributes(attributes);
}

/** Names the active span after a GraphQL operation: `query TopProducts`, with its type and name as attributes. */
export function nameOperationSpan(type: string | null | undefined, name: string | null | undefined): void {
  const operationType = type ?? 'unknown';
  nameActiveSpan(`${operationType} ${name ?? 'anonymous'}`, {
    'graphql.operation.type': operationType,
    'graphql.operation.name': name ?? '',
  });
}
