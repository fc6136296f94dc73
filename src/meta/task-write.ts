/**
 * Adding and editing task definitions, checked the way a run checks them before anything is
 * written: shared by `goshift task add|edit` and the `goshift serve` API.
 */
import type { GoshiftConfig } from '../config/schema';
import { TaskError } from '../errors';
import { checkDefinition, definitionOf, TaskDefinition } from './task-def';
import type { TaskStore } from './task-store';

/**
 * Check a new definition and store it.
 * @param label how messages name it (`task add`, `POST /api/tasks`)
 * @returns the new task's id
 * @throws TaskError / PluginError / ConfigError with one line naming what and where
 */
export async function addTaskDefinition(config: GoshiftConfig, tasks: TaskStore, given: Partial<TaskDefinition>, label: string): Promise<number> {
  return tasks.insert(checkDefinition(config, given, label));
}

/**
 * Merge the given columns into task `id`'s definition, check the result, and store it.
 * @param where how a mismatching id is named (`task edit 5`, `PATCH /api/tasks/5`)
 * @throws TaskError for an unknown task, a changed id, or an invalid definition
 */
export async function editTaskDefinition(config: GoshiftConfig, tasks: TaskStore, id: number, given: Partial<TaskDefinition>, where: string): Promise<void> {
  const current = definitionOf(await tasks.getUnchecked(id));
  if (given.id !== undefined && given.id !== id) throw new TaskError(`${where}: the definition names id ${given.id}; ids cannot be changed`);
  await tasks.update(id, checkDefinition(config, { ...current, ...given, id }, `task ${id}`));
}
