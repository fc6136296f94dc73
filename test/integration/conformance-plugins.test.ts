/** Conformance of each plugin's sessions and of the pair list: see test/support/conformance-suite.ts. */
import { describePluginConformance } from '../support/conformance-suite';

describePluginConformance();
