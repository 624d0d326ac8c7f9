/**
 * `affected -t TARGET`'s task level, wired: the task graph as `kiln run` builds it (so "affected"
 * and "what runs" agree), judged by `affected/`. Used by `affected-run.ts` and by `kiln watch`'s
 * judge, which asks of one in-memory view again and again: the task graph is built once per view.
 */
import type { ChangedFile } from '../affected/types.js';
import type { ProjectLevel } from '../affected/project-level.js';
import type { AffectedGraphView } from '../graph-state/index.js';
import { KilnError } from '../model/index.js';
import type { Project, Workspace } from '../workspace/index.js';
import type { AffectedTaskResult } from './affected-types.js';

type TaskGraphs = typeof import('../tasks/graph.js');
interface BuiltTaskGraph {
  readonly ws: Workspace;
  readonly target: string;
  readonly dependencies: Record<string, string[]>;
  readonly built: ReturnType<TaskGraphs['createTaskGraph']>;
}
// Keyed by the view's edges: a view asked again (kiln watch's memory) keeps its task graph.
const taskGraphs = new WeakMap<object, BuiltTaskGraph>();
// And its list of projects, so what task level keeps with that list is kept too.
const projectLists = new WeakMap<Workspace, Project[]>();

function taskGraphOf(g: TaskGraphs, ws: Workspace, view: AffectedGraphView, target: string): BuiltTaskGraph {
  const known = taskGraphs.get(view.dependencies);
  if (known?.ws === ws && known.target === target) return known;
  const dependencies: Record<string, string[]> = {};
  for (const [name, deps] of view.dependencies) dependencies[name] = [...deps];
  const projects = Object.fromEntries([...ws.projects.values()].map((p) => [p.name, { root: p.root, targets: p.targets }]));
  const made = { ws, target, dependencies, built: g.createTaskGraph({ projects, dependencies }, { targets: [target] }) };
  taskGraphs.set(view.dependencies, made);
  return made;
}

/** Task level: the task graph as `kiln run` builds it, so "affected" and "what runs" agree, judged by `affected/`. */
export async function taskLevel(
  ws: Workspace,
  view: AffectedGraphView,
  target: string,
  changes: readonly ChangedFile[],
  level: ProjectLevel,
  warnings: string[],
): Promise<AffectedTaskResult> {
  const [{ targetTasks, unknownTarget }, graphs] = await Promise.all([import('../affected/tasks.js'), import('../tasks/graph.js')]);
  let projects = projectLists.get(ws);
  if (projects === undefined) projectLists.set(ws, (projects = [...ws.projects.values()]));
  const unknown = unknownTarget(target, projects);
  if (unknown) throw new KilnError(unknown);
  const { dependencies, built } = taskGraphOf(graphs, ws, view, target);
  if (!built.ok) throw new KilnError(built.error);
  const { problems, ...tasks } = targetTasks({
    target,
    projects,
    ...(ws.nxJson.namedInputs && { nxNamedInputs: ws.nxJson.namedInputs }),
    dependencies,
    graph: built.value,
    changes,
    closure: level.closure,
    touches: level.touches,
    global: level.global,
  });
  for (const problem of problems) warnings.push(`inputs of ${problem}`);
  return tasks;
}
