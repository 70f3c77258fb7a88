// @etdi/registry: see its issue in the tracker; the public API is exported from here by name.
export {};
