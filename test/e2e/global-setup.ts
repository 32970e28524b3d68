/**
 * Runs once before the browser suite: says up front which projects will be skipped on this
 * machine and why (the list reporter shows a skipped test without its reason).
 */
import type { FullConfig } from "@playwright/test";
import { type StackPath, unrunnableReason } from "./fixtures.js";

export default function globalSetup(config: FullConfig): void {
  for (const project of config.projects) {
    const path = (project.use as { stackPath?: StackPath }).stackPath;
    if (!path) continue;
    const reason = unrunnableReason(path);
    if (reason) console.log(`[${project.name}] every test skipped: ${reason}`);
  }
}
