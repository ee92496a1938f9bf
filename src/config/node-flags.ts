/**
 * The V8 heap settings `wasmgate serve` runs with: `npm start`, the image's entrypoint
 * (deploy/Dockerfile) and the bench all pass these (test/server/deploy.test.ts checks they agree).
 * They must be Node's own flags: V8 sizes its heap when the process starts.
 *
 * - `--max-semi-space-size=2`: V8's young generation defaults to up to 3 × 16 MiB, which a webhook
 *   under load fills for nothing (a request's garbage is a few KiB); 2 MiB semi-spaces keep that off
 *   the server's resident memory, for more (but as short) scavenges. 1 MiB saves ~3 MiB more but
 *   doubles the scavenges and promotes more of what requests waiting for a worker hold.
 * - `--max-old-space-size=512`: with a limit this size V8 collects the old generation when it has
 *   grown by a little, instead of letting it reach a few times what is live (the default, sized from
 *   the machine's memory): under load what requests waiting for a worker got promoted is collected
 *   at ~20 MiB instead of ~45 MiB. 512 MiB of JavaScript heap is far above what the webhook needs,
 *   even for several 8 MiB reviews (the default bodyLimit) parsed at once.
 *
 * Both cost CPU (more scavenges, more frequent major collections): ~5–15 % more per review at W2's
 * maximum in alternating runs; the README's "Where wasmgate is behind" has the figures.
 * - `--single-threaded-gc`: V8 collects on the thread whose heap it is, without helper threads. Its
 *   parallel scavenges and concurrent marking pay off on large heaps; a webhook's are ~10–25 MiB, and
 *   on one CPU (a pod's `limits.cpu: 1`, W2's server) the helpers share the core with the thread they
 *   help, so a 0.3 ms scavenge became a stall of several: p99 at 1,500 req/s 7.0 → 2.7 ms (and
 *   7.5 → 1.8 in another run), the same CPU per review and the same maximum, in A/B runs on one core.
 * - `--no-memory-reducer`: V8's memory reducer runs collections that shrink the heap once a process has
 *   stopped allocating for a while (8 s), and a server idle between bursts of reviews paid for it on the
 *   next burst. After a minute idle, 1,028 req/s on one core (half of W2's maximum then): p99 108, 119
 *   and 101 ms with it, 3.2, 2.7 and 1.5 ms without, and 20–50 % more CPU per review with it for the
 *   whole 15 s step, in alternating runs; the collections during the step were the same (scavenges
 *   ~12 ms a second, a 2–3 ms mark-compact every second or so), so what it costs is what those shrinking
 *   collections throw away, not pauses. Without it an idle server keeps the heap its last load grew
 *   (~10 MiB more than right after start).
 */
export const serveNodeFlags = ['--max-semi-space-size=2', '--max-old-space-size=512', '--single-threaded-gc', '--no-memory-reducer'] as const;
