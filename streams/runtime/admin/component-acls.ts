/**
 * The least privilege of each fmeaflow component on a cluster with an authorizer: which topics,
 * groups and transactional ids each principal needs. The README's ACL table says the same in
 * words; the secured-cluster test grants exactly these and nothing else.
 */
import kafkajs from 'kafkajs';
import { LOGICAL_TOPICS, TOPIC_PREFIX } from '../../topic-catalog.ts';

const { AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes } = kafkajs;

export type Component = 'engine' | 'producer' | 'rules-publisher' | 'reader';

export interface AclGrant {
  readonly resourceType: 'TOPIC' | 'GROUP' | 'TRANSACTIONAL_ID' | 'CLUSTER';
  /** Literal name, or a prefix when `prefixed`. */
  readonly name: string;
  readonly prefixed: boolean;
  readonly operations: readonly ('READ' | 'WRITE' | 'CREATE' | 'DESCRIBE' | 'DESCRIBE_CONFIGS' | 'ALTER_CONFIGS' | 'DELETE' | 'IDEMPOTENT_WRITE' | 'ALL')[];
}

/**
 * Grants of one component; `app` is the worker's `--app` (start of its groups, changelogs and
 * transactional ids) and `prefix` the deployment's FMEAFLOW_TOPIC_PREFIX, which starts every name
 * below: on a shared cluster the grants cover this deployment's names and nothing else.
 */
export function componentAcls(component: Component, app = 'fmeaflow', prefix = TOPIC_PREFIX): AclGrant[] {
  const T = (name: string): string => `${prefix}${name}`;
  const App = app.startsWith(prefix) ? app : `${prefix}${app}`;
  switch (component) {
    case 'engine':
      return [
        // Inputs and global tables.
        { resourceType: 'TOPIC', name: T('vehicle.'), prefixed: true, operations: ['READ', 'DESCRIBE'] },
        { resourceType: 'TOPIC', name: T(LOGICAL_TOPICS.releases), prefixed: false, operations: ['READ', 'DESCRIBE'] },
        { resourceType: 'TOPIC', name: T(LOGICAL_TOPICS.rules), prefixed: false, operations: ['READ', 'DESCRIBE'] },
        // Outputs, DLQ, late, and the stages that read other stages' outputs.
        { resourceType: 'TOPIC', name: T('fmeaflow.'), prefixed: true, operations: ['READ', 'WRITE', 'DESCRIBE'] },
        // The app's own changelogs and repartition topics: created, resized and cleaned by the worker.
        { resourceType: 'TOPIC', name: `${App}-`, prefixed: true, operations: ['ALL'] },
        { resourceType: 'GROUP', name: `${App}-`, prefixed: true, operations: ['ALL'] },
        { resourceType: 'TRANSACTIONAL_ID', name: `${App}-`, prefixed: true, operations: ['WRITE', 'DESCRIBE'] },
        { resourceType: 'CLUSTER', name: 'kafka-cluster', prefixed: false, operations: ['IDEMPOTENT_WRITE'] },
      ];
    case 'producer':
      return [
        { resourceType: 'TOPIC', name: T('vehicle.'), prefixed: true, operations: ['WRITE', 'DESCRIBE', 'DESCRIBE_CONFIGS'] },
        { resourceType: 'TOPIC', name: T(LOGICAL_TOPICS.vehicles), prefixed: false, operations: ['WRITE', 'DESCRIBE', 'DESCRIBE_CONFIGS'] },
        // A recorded drive carries the gray releases of its time; a live fleet's releases come from the deployment system instead.
        { resourceType: 'TOPIC', name: T(LOGICAL_TOPICS.releases), prefixed: false, operations: ['WRITE', 'DESCRIBE', 'DESCRIBE_CONFIGS'] },
        { resourceType: 'CLUSTER', name: 'kafka-cluster', prefixed: false, operations: ['IDEMPOTENT_WRITE'] },
      ];
    case 'rules-publisher':
      return [
        { resourceType: 'TOPIC', name: T(LOGICAL_TOPICS.rules), prefixed: false, operations: ['WRITE', 'DESCRIBE', 'DESCRIBE_CONFIGS'] },
        // One transaction per publish (streams/fmea/publish.ts), under a fixed id per topic.
        { resourceType: 'TRANSACTIONAL_ID', name: T(`fmeaflow-rules-publish-${T(LOGICAL_TOPICS.rules)}`), prefixed: false, operations: ['WRITE', 'DESCRIBE'] },
        { resourceType: 'CLUSTER', name: 'kafka-cluster', prefixed: false, operations: ['IDEMPOTENT_WRITE'] },
      ];
    case 'reader':
      return [
        { resourceType: 'TOPIC', name: T('fmeaflow.'), prefixed: true, operations: ['READ', 'DESCRIBE'] },
        { resourceType: 'GROUP', name: T('reader-'), prefixed: true, operations: ['READ', 'DESCRIBE', 'DELETE'] },
      ];
  }
}

/** The grants as kafkajs `createAcls` entries for `principal` (e.g. `User:engine`). */
export function kafkajsAcls(principal: string, grants: readonly AclGrant[]): Parameters<ReturnType<InstanceType<typeof kafkajs.Kafka>['admin']>['createAcls']>[0]['acl'] {
  return grants.flatMap((g) => g.operations.map((op) => ({
    resourceType: AclResourceTypes[g.resourceType],
    resourceName: g.name,
    resourcePatternType: g.prefixed ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
    principal,
    host: '*',
    operation: AclOperationTypes[op],
    permissionType: AclPermissionTypes.ALLOW,
  })));
}
