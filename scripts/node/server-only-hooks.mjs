// Outside Next's bundler (tsx scripts, the custom server) `server-only` must resolve to an
// empty module: these processes are the server. Next still rejects it in client bundles.
export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'server-only') return { url: 'data:text/javascript,', shortCircuit: true }
  return nextResolve(specifier, context)
}
