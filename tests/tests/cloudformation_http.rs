//! Structural checks of `registration/template-http.json`, the CloudFormation template for the
//! HTTP shape: a function URL on the alias with `AuthType: NONE`, both resource-policy
//! statements a public function URL needs (since October 2025), and the token as a `NoEcho`
//! parameter that reaches the function's environment and no output.

use firehose_tests::cloudformation::{resources_of_type, single, template};
use serde_json::{Value, json};

/// Every `Ref` target and every `${Name}` of an `Fn::Sub` string under `v`.
fn references(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(name)) = map.get("Ref") {
                out.push(name.clone());
            }
            if let Some(sub) = map.get("Fn::Sub") {
                let text = sub
                    .as_str()
                    .or_else(|| sub.get(0).and_then(Value::as_str))
                    .unwrap_or_default();
                for part in text.split("${").skip(1) {
                    if let Some(name) = part.split('}').next() {
                        out.push(name.to_owned());
                    }
                }
            }
            if let Some(Value::Array(parts)) = map.get("Fn::GetAtt") {
                out.push(parts[0].as_str().unwrap_or_default().to_owned());
            }
            map.values().for_each(|x| references(x, out));
        }
        Value::Array(items) => items.iter().for_each(|x| references(x, out)),
        _ => {}
    }
}

#[test]
fn every_reference_names_something_that_exists() {
    let t = template("template-http.json");
    assert_eq!(t["AWSTemplateFormatVersion"], "2010-09-09");
    let mut names = Vec::new();
    references(&t["Resources"], &mut names);
    references(&t["Outputs"], &mut names);
    for name in names {
        let known = name.starts_with("AWS::")
            || t["Parameters"].get(&name).is_some()
            || t["Resources"].get(&name).is_some();
        assert!(known, "dangling reference {name}");
    }
    for (id, r) in t["Resources"].as_object().unwrap() {
        let kind = r["Type"].as_str().unwrap_or_default();
        assert!(kind.starts_with("AWS::"), "{id} has type {kind:?}");
        if let Some(depends) = r.get("DependsOn") {
            let depends: Vec<&str> = match depends {
                Value::String(s) => vec![s.as_str()],
                other => other
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(Value::as_str)
                    .collect(),
            };
            for d in depends {
                assert!(
                    t["Resources"].get(d).is_some(),
                    "{id} depends on missing {d}"
                );
            }
        }
    }
}

#[test]
fn the_function_url_serves_the_alias_without_iam_auth() {
    let t = template("template-http.json");
    let (function_id, function) = single(&t, "AWS::Lambda::Function");
    let (alias_id, alias) = single(&t, "AWS::Lambda::Alias");
    let (url_id, url) = single(&t, "AWS::Lambda::Url");
    assert_eq!(function["Properties"]["Runtime"], "provided.al2023");
    assert_eq!(function["Properties"]["Handler"], "bootstrap");

    let p = &url["Properties"];
    assert_eq!(p["AuthType"], "NONE", "mParticle cannot sign with SigV4");
    assert_eq!(
        p["TargetFunctionArn"],
        json!({ "Fn::GetAtt": [function_id, "Arn"] })
    );
    // The qualifier is the alias's own name, and the URL waits for the alias to exist.
    assert_eq!(p["Qualifier"], alias["Properties"]["Name"]);
    let alias_param = p["Qualifier"]["Ref"].as_str().expect("a parameter");
    assert_eq!(t["Parameters"][alias_param]["Default"], "production");
    assert_eq!(url["DependsOn"], json!(alias_id));
    assert!(
        p.get("Cors").is_none(),
        "mParticle calls server to server: no CORS"
    );

    let outputs = t["Outputs"].as_object().unwrap();
    assert!(
        outputs
            .values()
            .any(|o| o["Value"] == json!({ "Fn::GetAtt": [url_id, "FunctionUrl"] })),
        "an output carries the URL: {outputs:?}"
    );
}

#[test]
fn both_statements_a_public_function_url_needs_are_granted_on_the_alias() {
    let t = template("template-http.json");
    let (alias_id, _) = single(&t, "AWS::Lambda::Alias");
    let permissions = resources_of_type(&t, "AWS::Lambda::Permission");
    assert_eq!(permissions.len(), 2, "{permissions:?}");
    let find = |action: &str| {
        let matching: Vec<&Value> = permissions
            .iter()
            .filter(|(_, r)| r["Properties"]["Action"] == action)
            .map(|(_, r)| &r["Properties"])
            .collect();
        assert_eq!(matching.len(), 1, "one {action} statement");
        matching[0]
    };

    let url = find("lambda:InvokeFunctionUrl");
    assert_eq!(url["Principal"], "*");
    assert_eq!(url["FunctionUrlAuthType"], "NONE");
    assert_eq!(url["FunctionName"], json!({ "Ref": alias_id }));

    // Without this one (required since October 2025) every request is answered 403.
    let invoke = find("lambda:InvokeFunction");
    assert_eq!(invoke["Principal"], "*");
    assert_eq!(invoke["InvokedViaFunctionUrl"], true);
    assert_eq!(invoke["FunctionName"], json!({ "Ref": alias_id }));
    assert!(
        invoke.get("FunctionUrlAuthType").is_none(),
        "FunctionUrlAuthType belongs to the InvokeFunctionUrl statement"
    );
}

#[test]
fn the_token_is_a_no_echo_parameter_that_only_the_function_sees() {
    let t = template("template-http.json");
    let (_, function) = single(&t, "AWS::Lambda::Function");
    let variables = &function["Properties"]["Environment"]["Variables"];
    let name = variables["FIREHOSE_HTTP_TOKEN"]["Ref"]
        .as_str()
        .expect("FIREHOSE_HTTP_TOKEN is a parameter");
    let param = &t["Parameters"][name];
    assert_eq!(param["Type"], "String");
    assert_eq!(param["NoEcho"], true, "the token is never shown");
    assert!(param.get("Default").is_none(), "no default token");
    // The same rule as the SDK's `HttpToken::new`: 1..=1024 printable ASCII, no spaces.
    assert_eq!(param["MinLength"], 1);
    assert_eq!(
        param["MaxLength"],
        json!(mparticle_firehose::endpoint::MAX_TOKEN_LEN)
    );
    assert_eq!(param["AllowedPattern"], "^[!-~]+$");
    assert!(
        mparticle_firehose::endpoint::HttpToken::new("~!-").is_ok()
            && mparticle_firehose::endpoint::HttpToken::new("a b").is_err()
    );

    // Referenced by the function's environment and nothing else.
    let mut outputs = Vec::new();
    references(&t["Outputs"], &mut outputs);
    assert!(
        !outputs.iter().any(|n| n == name),
        "an output echoes the token"
    );
    let mut everywhere = Vec::new();
    references(&t["Resources"], &mut everywhere);
    assert_eq!(everywhere.iter().filter(|n| *n == name).count(), 1);
    assert_eq!(variables["PARTNER_API_URL"]["Ref"], "PartnerApiUrl");
}
