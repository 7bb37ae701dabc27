/**
 * Every choice the simulators make comes from a seeded stream, so a fixed seed gives the same
 * fleet and the same decisions; each actor takes its own stream (`derive`). The generator is the
 * project's one seeded Rng (@drivrr/shared/random).
 */
export { createRng, hashLabel, type Rng } from '@drivrr/shared/random';
