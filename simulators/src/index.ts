/** Simulated drivers and customers that speak only the public protocol. */
export {};
