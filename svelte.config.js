// Svelte 5 with runes. Referenced explicitly from electron.config.ts (non-default root).
export default {
  compilerOptions: { runes: true },
};
