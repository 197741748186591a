//! Structural checks of `registration/template.json`, the CloudFormation
//! template partners deploy their integration with: the function, its
//! version, the alias mParticle invokes and one invoke permission per
//! mParticle AWS account, granted on the alias.

use firehose_tests::cloudformation::{resources_of_type, single, template};
use serde_json::{Value, json};

const MPARTICLE_PRINCIPALS: [&str; 2] = ["338661164609", "457804467337"];

/// The value of a parameter reference `{"Ref": name}`, checking the name exists.
fn assert_param_ref(t: &Value, value: &Value, what: &str) -> String {
    let name = value["Ref"]
        .as_str()
        .unwrap_or_else(|| panic!("{what} should be a Ref to a parameter, is {value}"));
    assert!(
        t["Parameters"][name].is_object(),
        "{what} refers to missing parameter {name}"
    );
    name.to_owned()
}

#[test]
fn template_is_a_cloudformation_template() {
    let t = template("template.json");
    assert_eq!(t["AWSTemplateFormatVersion"], "2010-09-09");
    for (id, r) in t["Resources"].as_object().expect("Resources") {
        let kind = r["Type"]
            .as_str()
            .unwrap_or_else(|| panic!("{id} has no Type"));
        assert!(kind.starts_with("AWS::"), "{id} has unexpected type {kind}");
    }
}

#[test]
fn every_ref_and_getatt_names_something_that_exists() {
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
                if let Some(Value::Array(parts)) = map.get("Fn::GetAtt") {
                    let name = parts[0].as_str().unwrap_or_default();
                    if t["Resources"].get(name).is_none() {
                        bad.push(format!("Fn::GetAtt {name}"));
                    }
                }
                map.values().for_each(|x| walk(t, x, bad));
            }
            Value::Array(items) => items.iter().for_each(|x| walk(t, x, bad)),
            _ => {}
        }
    }
    let t = template("template.json");
    let mut bad = Vec::new();
    walk(&t, &t["Resources"], &mut bad);
    walk(&t, &t["Outputs"], &mut bad);
    assert!(bad.is_empty(), "dangling references: {bad:?}");
}

#[test]
fn function_runs_the_bootstrap_binary_on_provided_al2023() {
    let t = template("template.json");
    let (_, function) = single(&t, "AWS::Lambda::Function");
    let p = &function["Properties"];
    assert_eq!(p["Runtime"], "provided.al2023");
    assert_eq!(p["Handler"], "bootstrap");

    // Architectures come from a parameter allowing exactly x86_64 and arm64.
    let arch = p["Architectures"]
        .as_array()
        .expect("Architectures is a list");
    assert_eq!(arch.len(), 1);
    let arch_param = assert_param_ref(&t, &arch[0], "Architectures[0]");
    let allowed = &t["Parameters"][&arch_param]["AllowedValues"];
    assert_eq!(allowed, &json!(["x86_64", "arm64"]));
    assert_eq!(t["Parameters"][&arch_param]["Default"], "x86_64");

    // Code from S3 bucket and key parameters.
    assert_param_ref(&t, &p["Code"]["S3Bucket"], "Code.S3Bucket");
    assert_param_ref(&t, &p["Code"]["S3Key"], "Code.S3Key");

    // Memory and timeout are parameters with Lambda's limits.
    let memory = assert_param_ref(&t, &p["MemorySize"], "MemorySize");
    assert_eq!(t["Parameters"][&memory]["Type"], "Number");
    assert_eq!(t["Parameters"][&memory]["MinValue"], 128);
    assert_eq!(t["Parameters"][&memory]["MaxValue"], 10240);
    let timeout = assert_param_ref(&t, &p["Timeout"], "Timeout");
    assert_eq!(t["Parameters"][&timeout]["Type"], "Number");
    assert_eq!(t["Parameters"][&timeout]["MaxValue"], 900);

    // The partner API URL reaches the function as PARTNER_API_URL.
    assert_param_ref(
        &t,
        &p["Environment"]["Variables"]["PARTNER_API_URL"],
        "PARTNER_API_URL",
    );

    // Reserved concurrency is declared (optional through a condition).
    assert!(
        !p["ReservedConcurrentExecutions"].is_null(),
        "the function should declare ReservedConcurrentExecutions"
    );

    // The execution role is the template's own.
    let (role_id, _) = single(&t, "AWS::IAM::Role");
    assert_eq!(p["Role"], json!({ "Fn::GetAtt": [role_id, "Arn"] }));
}

#[test]
fn execution_role_can_be_assumed_by_lambda() {
    let t = template("template.json");
    let (_, role) = single(&t, "AWS::IAM::Role");
    let statements = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        .as_array()
        .expect("Statement list");
    assert!(statements.iter().any(|s| {
        s["Effect"] == "Allow"
            && s["Action"] == "sts:AssumeRole"
            && s["Principal"]["Service"] == "lambda.amazonaws.com"
    }));
}

#[test]
fn alias_defaults_to_production_and_points_at_the_published_version() {
    let t = template("template.json");
    let (function_id, _) = single(&t, "AWS::Lambda::Function");
    let (version_id, version) = single(&t, "AWS::Lambda::Version");
    let (_, alias) = single(&t, "AWS::Lambda::Alias");

    assert_eq!(
        version["Properties"]["FunctionName"],
        json!({ "Ref": function_id })
    );

    let p = &alias["Properties"];
    assert_eq!(p["FunctionName"], json!({ "Ref": function_id }));
    assert_eq!(
        p["FunctionVersion"],
        json!({ "Fn::GetAtt": [version_id, "Version"] })
    );
    let name_param = assert_param_ref(&t, &p["Name"], "Alias Name");
    assert_eq!(t["Parameters"][&name_param]["Default"], "production");
}

#[test]
fn each_mparticle_principal_may_invoke_the_alias_only() {
    let t = template("template.json");
    let (alias_id, _) = single(&t, "AWS::Lambda::Alias");
    let permissions = resources_of_type(&t, "AWS::Lambda::Permission");
    assert_eq!(
        permissions.len(),
        MPARTICLE_PRINCIPALS.len(),
        "one permission per mParticle principal: {permissions:?}"
    );
    for principal in MPARTICLE_PRINCIPALS {
        let matching: Vec<_> = permissions
            .iter()
            .filter(|(_, r)| r["Properties"]["Principal"] == principal)
            .collect();
        assert_eq!(matching.len(), 1, "exactly one permission for {principal}");
        let (id, r) = matching[0];
        let p = &r["Properties"];
        assert_eq!(p["Action"], "lambda:InvokeFunction", "{id}");
        // Ref of an AWS::Lambda::Alias is the alias ARN, so the grant is on
        // the alias, never on the unqualified function or $LATEST.
        assert_eq!(p["FunctionName"], json!({ "Ref": alias_id }), "{id}");
    }
}

#[test]
fn outputs_the_alias_arn() {
    let t = template("template.json");
    let (alias_id, _) = single(&t, "AWS::Lambda::Alias");
    let outputs = t["Outputs"].as_object().expect("Outputs is an object");
    assert!(
        outputs
            .values()
            .any(|o| o["Value"] == json!({ "Ref": alias_id })),
        "an Output should carry the alias ARN (Ref {alias_id}): {outputs:?}"
    );
}
