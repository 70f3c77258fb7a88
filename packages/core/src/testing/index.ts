// @etdi/core/testing: contract suites shared by the implementations of core's interfaces in
// other packages. Imports vitest; never import it from production code.
export { pinStoreContract, type PinStoreContractOptions } from './pin-store-contract.js';
