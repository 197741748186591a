//! Structural checks of `registration/template-queue.json`, the CloudFormation template of
//! queue mode: the queue and its dead-letter queue, the event source mapping on the alias, the
//! visibility timeout against the function timeout, and a least-privilege execution role.

use std::collections::BTreeSet;

use firehose_tests::cloudformation::{resources_of_type, single, template};
use serde_json::{Value, json};

/// The queue mParticle's messages go to (the one with a redrive policy) and its DLQ.
fn queues(t: &Value) -> ((&str, &Value), (&str, &Value)) {
    let all = resources_of_type(t, "AWS::SQS::Queue");
    assert_eq!(all.len(), 2, "a queue and a dead-letter queue: {all:?}");
    let (main, dead): (Vec<_>, Vec<_>) = all
        .into_iter()
        .partition(|(_, q)| !q["Properties"]["RedrivePolicy"].is_null());
    assert_eq!((main.len(), dead.len()), (1, 1));
    (main[0], dead[0])
}

fn param<'a>(t: &'a Value, value: &Value) -> &'a Value {
    let name = value["Ref"]
        .as_str()
        .unwrap_or_else(|| panic!("{value} should be a Ref to a parameter"));
    let p = &t["Parameters"][name];
    assert!(p.is_object(), "missing parameter {name}");
    p
}

#[test]
fn every_ref_getatt_findinmap_and_condition_names_something_that_exists() {
    fn walk(t: &Value, v: &Value, bad: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(name)) = map.get("Ref") {
                    let known = name.starts_with("AWS::")
                        || t["Parameters"].get(name).is_some()
                        || t["Resources"].get(name).is_some();
                    if !known {
                        bad.push(format!("Ref {name}"));
                    }
                }
                if let Some(Value::Array(parts)) = map.get("Fn::GetAtt")
                    && t["Resources"]
                        .get(parts[0].as_str().unwrap_or_default())
                        .is_none()
                {
                    bad.push(format!("Fn::GetAtt {}", parts[0]));
                }
                if let Some(Value::Array(parts)) = map.get("Fn::FindInMap")
                    && t["Mappings"]
                        .get(parts[0].as_str().unwrap_or_default())
                        .is_none()
                {
                    bad.push(format!("Fn::FindInMap {}", parts[0]));
                }
                if let Some(Value::Array(parts)) = map.get("Fn::If")
                    && t["Conditions"]
                        .get(parts[0].as_str().unwrap_or_default())
                        .is_none()
                {
                    bad.push(format!("Fn::If {}", parts[0]));
                }
                map.values().for_each(|x| walk(t, x, bad));
            }
            Value::Array(items) => items.iter().for_each(|x| walk(t, x, bad)),
            _ => {}
        }
    }
    let t = template("template-queue.json");
    assert_eq!(t["AWSTemplateFormatVersion"], "2010-09-09");
    let mut bad = Vec::new();
    walk(&t, &t["Resources"], &mut bad);
    walk(&t, &t["Outputs"], &mut bad);
    walk(&t, &t["Conditions"], &mut bad);
    assert!(bad.is_empty(), "dangling references: {bad:?}");
}

#[test]
fn the_queue_redrives_to_its_dead_letter_queue_after_at_least_five_receives() {
    let t = template("template-queue.json");
    let ((_, queue), (dead_id, dead)) = queues(&t);
    let redrive = &queue["Properties"]["RedrivePolicy"];
    assert_eq!(
        redrive["deadLetterTargetArn"],
        json!({ "Fn::GetAtt": [dead_id, "Arn"] })
    );
    let count = param(&t, &redrive["maxReceiveCount"]);
    assert!(count["MinValue"].as_u64().unwrap() >= 5);
    assert!(count["Default"].as_u64().unwrap() >= 5);
    // The dead-letter queue keeps messages as long as SQS allows (14 days).
    assert_eq!(dead["Properties"]["MessageRetentionPeriod"], 1_209_600);
    // FIFO or not, both queues are of the same kind.
    assert_eq!(
        queue["Properties"]["FifoQueue"],
        dead["Properties"]["FifoQueue"]
    );
}

#[test]
fn the_visibility_timeout_is_at_least_six_times_every_allowed_function_timeout() {
    let t = template("template-queue.json");
    let ((_, queue), _) = queues(&t);
    let (_, function) = single(&t, "AWS::Lambda::Function");
    let timeout_param = function["Properties"]["Timeout"]["Ref"].as_str().unwrap();
    assert_eq!(
        queue["Properties"]["VisibilityTimeout"],
        json!({ "Fn::FindInMap": ["TimeoutSettings", { "Ref": timeout_param }, "VisibilityTimeout"] })
    );
    let allowed = t["Parameters"][timeout_param]["AllowedValues"]
        .as_array()
        .unwrap();
    for timeout in allowed {
        let seconds = timeout.as_u64().unwrap();
        assert!((1..=900).contains(&seconds));
        let visibility = t["Mappings"]["TimeoutSettings"][seconds.to_string()]["VisibilityTimeout"]
            .as_u64()
            .unwrap_or_else(|| panic!("no visibility timeout for a {seconds} s function"));
        assert!(visibility >= 6 * seconds, "{visibility} s for {seconds} s");
        assert!(visibility <= 43_200, "SQS allows at most 12 hours");
    }
    let default = t["Parameters"][timeout_param]["Default"].as_u64().unwrap();
    assert!(allowed.contains(&json!(default)));
}

#[test]
fn the_mapping_drains_into_the_alias_with_partial_batch_responses_and_a_concurrency_cap() {
    let t = template("template-queue.json");
    let ((queue_id, _), _) = queues(&t);
    let (alias_id, _) = single(&t, "AWS::Lambda::Alias");
    let (_, mapping) = single(&t, "AWS::Lambda::EventSourceMapping");
    let p = &mapping["Properties"];
    assert_eq!(
        p["EventSourceArn"],
        json!({ "Fn::GetAtt": [queue_id, "Arn"] })
    );
    assert_eq!(p["FunctionName"], json!({ "Ref": alias_id }));
    assert_eq!(
        p["FunctionResponseTypes"],
        json!(["ReportBatchItemFailures"])
    );
    let batch = param(&t, &p["BatchSize"]);
    assert!(batch["MinValue"].as_u64().unwrap() >= 1 && batch["MaxValue"].as_u64().unwrap() <= 10);
    let window = &t["Parameters"]["MaximumBatchingWindowInSeconds"];
    assert_eq!(window["MaxValue"], 300);
    let concurrency = param(&t, &p["ScalingConfig"]["MaximumConcurrency"]);
    assert_eq!(
        (
            concurrency["MinValue"].as_u64(),
            concurrency["MaxValue"].as_u64()
        ),
        (Some(2), Some(1000))
    );
    // The same concurrency divides the partner quota among the environments.
    let (_, function) = single(&t, "AWS::Lambda::Function");
    let env = &function["Properties"]["Environment"]["Variables"];
    assert_eq!(
        env["FUNCTION_RESERVED_CONCURRENCY"],
        p["ScalingConfig"]["MaximumConcurrency"]
    );
    assert!(param(&t, &env["PARTNER_QUOTA_PER_SECOND"]).is_object());
}

#[test]
fn the_function_enqueues_to_the_queue_it_consumes() {
    let t = template("template-queue.json");
    let ((queue_id, _), _) = queues(&t);
    let (_, function) = single(&t, "AWS::Lambda::Function");
    let env = &function["Properties"]["Environment"]["Variables"];
    // Ref of an AWS::SQS::Queue is its URL.
    assert_eq!(env["FIREHOSE_QUEUE_URL"], json!({ "Ref": queue_id }));
    assert!(param(&t, &env["FIREHOSE_QUEUE_MAX_MESSAGE_BYTES"]).is_object());
    assert!(param(&t, &env["PARTNER_API_URL"]).is_object());
}

#[test]
fn the_execution_role_may_send_and_consume_on_exactly_this_queue() {
    let t = template("template-queue.json");
    let ((queue_id, _), _) = queues(&t);
    let (role_id, role) = single(&t, "AWS::IAM::Role");
    let (_, function) = single(&t, "AWS::Lambda::Function");
    assert_eq!(
        function["Properties"]["Role"],
        json!({ "Fn::GetAtt": [role_id, "Arn"] })
    );
    let trust = &role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0];
    assert_eq!(trust["Principal"]["Service"], "lambda.amazonaws.com");

    let queue_arn = json!({ "Fn::GetAtt": [queue_id, "Arn"] });
    let mut actions = BTreeSet::new();
    for policy in role["Properties"]["Policies"].as_array().unwrap() {
        for statement in policy["PolicyDocument"]["Statement"].as_array().unwrap() {
            assert_eq!(statement["Effect"], "Allow");
            assert_eq!(statement["Resource"], queue_arn, "{statement}");
            for action in statement["Action"].as_array().unwrap() {
                actions.insert(action.as_str().unwrap().to_owned());
            }
        }
    }
    let expected: BTreeSet<String> = [
        "sqs:SendMessage",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ChangeMessageVisibility",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(actions, expected);
    // Besides the queue: only the basic logging policy.
    let managed = role["Properties"]["ManagedPolicyArns"].as_array().unwrap();
    assert_eq!(managed.len(), 1);
    assert!(
        managed[0]
            .to_string()
            .contains("AWSLambdaBasicExecutionRole")
    );
}

#[test]
fn mparticle_may_invoke_the_alias_only_and_the_outputs_name_the_queues() {
    let t = template("template-queue.json");
    let (alias_id, _) = single(&t, "AWS::Lambda::Alias");
    let permissions = resources_of_type(&t, "AWS::Lambda::Permission");
    let principals: BTreeSet<_> = permissions
        .iter()
        .map(|(_, p)| {
            assert_eq!(p["Properties"]["FunctionName"], json!({ "Ref": alias_id }));
            assert_eq!(p["Properties"]["Action"], "lambda:InvokeFunction");
            p["Properties"]["Principal"].as_str().unwrap()
        })
        .collect();
    assert_eq!(principals, BTreeSet::from(["338661164609", "457804467337"]));
    let ((queue_id, _), (dead_id, _)) = queues(&t);
    let outputs: Vec<&Value> = t["Outputs"]
        .as_object()
        .unwrap()
        .values()
        .map(|o| &o["Value"])
        .collect();
    for wanted in [
        json!({ "Ref": alias_id }),
        json!({ "Ref": queue_id }),
        json!({ "Ref": dead_id }),
    ] {
        assert!(outputs.contains(&&wanted), "no output {wanted}");
    }
}
