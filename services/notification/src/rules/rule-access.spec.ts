import { notificationResource, RuleFinder } from './rule-access';

// The rules and deliveries as the read models have them.
const rules: Record<string, string[]> = { 'shop-alerts': ['shop'], 'everything': [], 'two': ['shop', 'cart'] };
const deliveries: Record<string, { ruleName: string; pipeline: string }> = {
  '11111111-1111-4111-8111-111111111111': { ruleName: 'shop-alerts', pipeline: 'shop' },
  '22222222-2222-4222-8222-222222222222': { ruleName: 'everything', pipeline: 'shop' },
  // Recorded under an earlier rule of the same name that covered another pipeline.
  '33333333-3333-4333-8333-333333333333': { ruleName: 'shop-alerts', pipeline: 'cart' },
};
const find: RuleFinder = {
  rule: async (name) => (rules[name] ? { pipelines: rules[name] } : undefined),
  delivery: async (id) => deliveries[id],
};

describe('where a rule or delivery operation\'s resource is', () => {
  it('given a rule on one pipeline, then deleting it or listing its deliveries is that pipeline\'s', async () => {
    await expect(notificationResource('DeleteNotificationRule', { name: 'shop-alerts' }, find)).resolves.toEqual({ pipeline: 'shop' });
    await expect(notificationResource('ListDeliveries', { ruleName: 'shop-alerts' }, find)).resolves.toEqual({ pipeline: 'shop' });
  });

  it('given a rule on several or all pipelines, an unknown rule, or no rule named, then it is system-wide', async () => {
    await expect(notificationResource('DeleteNotificationRule', { name: 'everything' }, find)).resolves.toEqual({});
    await expect(notificationResource('DeleteNotificationRule', { name: 'two' }, find)).resolves.toEqual({});
    await expect(notificationResource('DeleteNotificationRule', { name: 'nope' }, find)).resolves.toEqual({});
    await expect(notificationResource('ListDeliveries', {}, find)).resolves.toEqual({});
  });

  it('given a delivery, then it is its rule\'s pipeline only when its event is of that pipeline too', async () => {
    await expect(notificationResource('RedeliverNotification', { deliveryId: '11111111-1111-4111-8111-111111111111' }, find)).resolves.toEqual({ pipeline: 'shop' });
    await expect(notificationResource('RedeliverNotification', { deliveryId: '22222222-2222-4222-8222-222222222222' }, find)).resolves.toEqual({});
    await expect(notificationResource('RedeliverNotification', { deliveryId: '33333333-3333-4333-8333-333333333333' }, find)).resolves.toEqual({});
    await expect(notificationResource('RedeliverNotification', { deliveryId: 'not-a-uuid' }, find)).resolves.toEqual({});
  });

  it('given an update, then it is the pipeline before and after, and system-wide when it moves a rule between pipelines', async () => {
    await expect(notificationResource('UpdateNotificationRule', { rule: { name: 'shop-alerts', pipelines: ['shop'] } }, find)).resolves.toEqual({ pipeline: 'shop' });
    await expect(notificationResource('UpdateNotificationRule', { rule: { name: 'shop-alerts', pipelines: ['cart'] } }, find)).resolves.toEqual({});
    await expect(notificationResource('UpdateNotificationRule', { rule: { name: 'everything', pipelines: ['cart'] } }, find)).resolves.toEqual({});
    // No such rule: the request's pipeline decides, and the handler answers NOT_FOUND to whoever may ask.
    await expect(notificationResource('UpdateNotificationRule', { rule: { name: 'nope', pipelines: ['cart'] } }, find)).resolves.toEqual({ pipeline: 'cart' });
  });
});
