/**
 * The least privilege of each fmeaflow component on a cluster with an authorizer: which topics,
 * groups and transactional ids each principal needs. The README's ACL table says the same in
 * words; the secured-cluster test grants exactly these and nothing else.
 */
import kafkajs from 'kafkajs';
import { Topics } from '../../topic-catalog.ts';

const { AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes } = kafkajs;

export type Component = 'engine' | 'producer' | 'rules-publisher' | 'reader';

export interface AclGrant {
  readonly resourceType: 'TOPIC' | 'GROUP' | 'TRANSACTIONAL_ID' | 'CLUSTER';
  /** Literal name, or a prefix when `prefixed`. */
  readonly name: string;
  readonly prefixed: boolean;
  readonly operations: readonly ('READ' | 'WRITE' | 'CREATE' | 'DESCRIBE' | 'DESCRIBE_CONFIGS' | 'ALTER_CONFIGS' | 'DELETE' | 'IDEMPOTENT_WRITE' | 'ALL')[];
}

/** Grants of one component; `app` is the worker's `--app` (prefix of its groups, changelogs and transactional ids). */
export function componentAcls(component: Component, app = 'fmeaflow'): AclGrant[] {
  switch (component) {
    case 'engine':
      return [
        // Inputs and global tables.
        { resourceType: 'TOPIC', name: 'vehicle.', prefixed: true, operations: ['READ', 'DESCRIBE'] },
        { resourceType: 'TOPIC', name: Topics.releases, prefixed: false, operations: ['READ', 'DESCRIBE'] },
        { resourceType: 'TOPIC', name: Topics.rules, prefixed: false, operations: ['READ', 'DESCRIBE'] },
        // Outputs, DLQ, late, and the stages that read other stages' outputs.
        { resourceType: 'TOPIC', name: 'fmeaflow.', prefixed: true, operations: ['READ', 'WRITE', 'DESCRIBE'] },
        // The app's own changelogs and repartition topics: created, resized and cleaned by the worker.
        { resourceType: 'TOPIC', name: `${app}-`, prefixed: true, operations: ['ALL'] },
        { resourceType: 'GROUP', name: `${app}-`, prefixed: true, operations: ['ALL'] },
        { resourceType: 'TRANSACTIONAL_ID', name: `${app}-`, prefixed: true, operations: ['WRITE', 'DESCRIBE'] },
        { resourceType: 'CLUSTER', name: 'kafka-cluster', prefixed: false, operations: ['IDEMPOTENT_WRITE'] },
      ];
    case 'producer':
      return [
        { resourceType: 'TOPIC', name: 'vehicle.', prefixed: true, operations: ['WRITE', 'DESCRIBE', 'DESCRIBE_CONFIGS'] },
        { resourceType: 'TOPIC', name: Topics.vehicles, prefixed: false, operations: ['WRITE', 'DESCRIBE', 'DESCRIBE_CONFIGS'] },
        // A recorded drive carries the gray releases of its time; a live fleet's releases come from the deployment system instead.
        { resourceType: 'TOPIC', name: Topics.releases, prefixed: false, operations: ['WRITE', 'DESCRIBE', 'DESCRIBE_CONFIGS'] },
        { resourceType: 'CLUSTER', name: 'kafka-cluster', prefixed: false, operations: ['IDEMPOTENT_WRITE'] },
      ];
    case 'rules-publisher':
      return [{ resourceType: 'TOPIC', name: Topics.rules, prefixed: false, operations: ['WRITE', 'DESCRIBE', 'DESCRIBE_CONFIGS'] }];
    case 'reader':
      return [
        { resourceType: 'TOPIC', name: 'fmeaflow.', prefixed: true, operations: ['READ', 'DESCRIBE'] },
        { resourceType: 'GROUP', name: 'reader-', prefixed: true, operations: ['READ', 'DESCRIBE', 'DELETE'] },
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
