/** oidc-provider's own in-memory adapter, which its package ships without a declaration. */
declare module 'oidc-provider/lib/adapters/memory_adapter.js' {
  import type { AdapterConstructor } from 'oidc-provider';
  const MemoryAdapter: AdapterConstructor;
  export default MemoryAdapter;
}
