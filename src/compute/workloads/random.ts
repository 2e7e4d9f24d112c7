// The compute domain's seeded random generator (mulberry32): reproducible example inputs, weights, cheating in
// tests and demos. It lives in src/math/random.ts (shared with the agents and the simulator); this module
// re-exports it for the compute domain's callers. (The sandbox's trainer keeps its own copy: it travels to the
// worker as source.)
export { mulberry32, seededBytes, seededRng } from '../../math/random.ts';
