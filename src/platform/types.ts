/**
 * The ports between the workflows (src/core/workflows/) and a CI platform (GitHub now, GitLab next): what a workflow
 * needs from a forge and from the runner, and nothing else. An adapter implements them; tests implement them in
 * memory (test/unit/workflows.test.ts).
 */
import type { DeploymentTarget } from '../core/config/types.js';
import type { BumpPublisher } from '../core/images/publish.js';

export interface PullRequestRef {
  number: number;
  baseSha: string;
  headSha: string;
  baseRef: string;
  /** Opened from a fork: its token is read-only, so nothing is written back. */
  fromFork: boolean;
}

export interface CiContext {
  /** The platform's name for what started the run (pull_request, push, schedule, merge_request_event, …). */
  event: string;
  repository: { owner: string; name: string };
  sha: string;
  ref: string;
  pullRequest: PullRequestRef | undefined;
  /** For a push: the commits before and after, and whether it went to the default branch. */
  push: { before: string; after: string; toDefaultBranch: boolean } | undefined;
  /** Link to this run's log, for reports. */
  runUrl: string | undefined;
  /** Link to a commit of this repository on the forge (`…/commit/<sha>`), for reports. */
  commitUrl?: ((sha: string) => string) | undefined;
  /** Where the runner keeps this run's own files (RUNNER_TEMP, CI_PROJECT_DIR/.kubeplan), created when missing. */
  tempDir: string;
  /**
   * A run started by another workflow's run (GitHub workflow_run): the commit that run was for and the pull requests
   * GitHub links to it (empty for a fork's), as the event says, so nothing the other run wrote can change them.
   */
  triggeringRun?: { headSha: string; pullRequests: number[] } | undefined;
  /** What this forge calls a change request, for messages: `pull request` (the default) or `merge request`. */
  changeRequestName?: 'pull request' | 'merge request' | undefined;
}

export interface PlatformComment {
  id: number;
  /** GraphQL node id (for minimizing). */
  nodeId: string;
  body: string;
  url: string;
  minimized: boolean;
  /** The login that wrote it. */
  author: string;
}

/** Comments on a pull request / merge request. */
export interface ReviewPlatform {
  /** The login this platform's token writes as: only its comments are kubeplan's to edit, delete or minimize. */
  identity(): Promise<string>;
  listComments(pr: number): Promise<PlatformComment[]>;
  createComment(pr: number, body: string): Promise<PlatformComment>;
  updateComment(id: number, body: string): Promise<PlatformComment>;
  deleteComment(id: number): Promise<void>;
  /** Collapses an outdated comment (GitHub: minimizeComment OUTDATED). */
  minimizeComment(comment: PlatformComment): Promise<void>;
  /** The merged pull request a commit came from, if any (for the apply report on it). */
  mergedPullRequest(sha: string): Promise<number | undefined>;
  /**
   * Puts the labels `add` on the pull request (creating each in the repository with its colour when it is new there)
   * and takes the labels `remove` off; labels it has already, or lacks already, cost no write. Optional: a platform
   * without labels leaves it out.
   */
  setLabels?(pr: number, add: readonly LabelSpec[], remove: readonly string[]): Promise<void>;
  /** The head commit of an open pull request (undefined when it is not open), to check a report was planned there. */
  pullRequestHead?(pr: number): Promise<string | undefined>;
  /** The head commit of a pull request, open or merged (plan binding: the commit its reviewers approved). */
  pullRequestHeadSha?(pr: number): Promise<string>;
  /** Every review of a pull request, oldest first (plan binding: who approved which commit). */
  pullRequestReviews?(pr: number): Promise<PullRequestReview[]>;
}

/** A review of a pull request as plan binding reads it. */
export interface PullRequestReview {
  id: number;
  /** The reviewer's login. */
  user: string;
  /** APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED, PENDING. */
  state: string;
  /** The commit the review was made on (null for a pending review). */
  commitId: string | null;
  submittedAt: string | undefined;
}

/**
 * The `kubeplan plan` check run on a pull request's head commit, which carries the plan's digests (GitHub check runs).
 * `key` tells apart the plans of several jobs (the sticky comment's key).
 */
export interface PlanChecks {
  /** Creates a check run for this plan; no write when the newest one of `key` says exactly this already. */
  recordPlanCheck(sha: string, key: string, check: PlanCheck): Promise<'created' | 'unchanged'>;
  /** The output text of every `kubeplan plan` check run on the commit (each plan made there), newest first. */
  planChecks(sha: string): Promise<{ key: string; text: string; completedAt: string | undefined }[]>;
}

export interface PlanCheck {
  conclusion: 'success' | 'failure';
  title: string;
  summary: string;
  text: string;
}

/** A label kubeplan puts on a pull request: its name, and the colour (6 hex digits) and description it is created with. */
export interface LabelSpec {
  name: string;
  color: string;
  description: string;
}

export interface TrackedIssue {
  number: number;
  title: string;
  body: string;
  author: string;
}

/** Issues (drift tracking). */
export interface IssueTracker {
  identity(): Promise<string>;
  /** Open issues with this label, every page. */
  listOpenIssues(label: string): Promise<TrackedIssue[]>;
  createIssue(title: string, body: string, labels: string[]): Promise<number>;
  updateIssue(number: number, fields: { title?: string; body?: string }): Promise<void>;
  /** Comments, then closes it as completed. */
  closeIssue(number: number, comment: string): Promise<void>;
}

/** What kubeplan records in a deployment's payload: the plan applied, the pull request and who approved it. */
export interface DeploymentPayload {
  planDigest?: string | undefined;
  pullRequest?: number | undefined;
  approvers?: string[] | undefined;
}

export type DeploymentState = 'in_progress' | 'success' | 'failure';

/** Deployments / environments (GitHub Deployments, GitLab environments). */
export interface Deployments {
  /**
   * Records a deployment of `sha` to the target's environment; returns its id. `payload`: what the deployment records
   * for audit (plan binding: the plan digest, the pull request and its approvers).
   */
  create(target: DeploymentTarget, sha: string, description: string, payload?: DeploymentPayload): Promise<number>;
  setStatus(id: number, state: DeploymentState, description: string, logUrl: string | undefined): Promise<void>;
  /** The newest deployments to an environment with their statuses, newest first (promote). Optional. */
  history?(environment: string): Promise<DeploymentRecord[]>;
}

/** A deployment as promote reads it: the commit, and every status it got (oldest or newest first, either). */
export interface DeploymentRecord {
  id: number;
  sha: string;
  environment: string;
  createdAt: string;
  statuses: { state: string; createdAt: string; description: string; logUrl: string | undefined }[];
}

/** Change requests (pull requests, merge requests) that bumps open. */
export type ChangeRequests = BumpPublisher;

export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  message: string;
  /** Relative to the repository root. */
  file?: string | undefined;
  line?: number | undefined;
  title?: string | undefined;
}

/** The runner: its log, masking, job summary, step outputs and annotations. */
export interface Reporter {
  info(text: string): void;
  warn(text: string): void;
  notice(text: string): void;
  /** Registers a credential: masked in the log and in everything written. */
  mask(value: string | undefined): void;
  /** A collapsible section of the log. */
  group(name: string): void;
  endGroup(): void;
  summary(markdown: string): Promise<void>;
  output(name: string, value: string): void;
  annotate(annotation: Annotation): void;
}

/** What a workflow may use. A port that is undefined is not available in this run (no token, a fork, `comment: false`). */
export interface Ports {
  reporter: Reporter;
  comments?: ReviewPlatform | undefined;
  issues?: IssueTracker | undefined;
  deployments?: Deployments | undefined;
  /** Where a plan keeps its digests for the apply on merge (GitHub check runs); undefined: the comment marker only. */
  checks?: PlanChecks | undefined;
  changeRequests?: ChangeRequests | undefined;
}
